// SPDX-License-Identifier: GPL-2.0-only
/*
 * The readers and strict parsers of ioasid_views.h: the fdinfo of a
 * /dev/ioasid fd and the files of its context's debugfs directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ioasid_views.h"

char *view_read_fd(int fd, size_t chunk, size_t *len, int *err)
{
	size_t used = 0, size = 0;
	char *buf = NULL, *p;
	ssize_t n;

	if (!chunk)
		chunk = 4096;
	for (;;) {
		if (used + chunk + 1 > size) {
			size = 2 * (used + chunk + 1);
			p = realloc(buf, size);
			if (!p) {
				*err = ENOMEM;
				free(buf);
				return NULL;
			}
			buf = p;
		}
		n = read(fd, buf + used, chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*err = errno;
			free(buf);
			return NULL;
		}
		if (!n)
			break;
		used += n;
	}
	buf[used] = '\0';
	if (len)
		*len = used;
	*err = 0;
	return buf;
}

char *view_read_path(const char *path, size_t chunk, size_t *len, int *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *text;

	if (fd < 0) {
		*err = errno;
		return NULL;
	}
	text = view_read_fd(fd, chunk, len, err);
	close(fd);
	return text;
}

/* Tokens */

/* One line: [p, end), its newline left out. */
struct line {
	const char *p;
	const char *end;
};

static bool take(struct line *l, const char *lit)
{
	size_t len = strlen(lit);

	if ((size_t)(l->end - l->p) < len || memcmp(l->p, lit, len))
		return false;
	l->p += len;
	return true;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A decimal number up to @max: digits only, no leading zero. */
static bool take_dec(struct line *l, uint64_t max, uint64_t *v)
{
	const char *p = l->p;
	uint64_t n = 0;

	if (p == l->end || !is_digit(*p))
		return false;
	if (*p == '0' && p + 1 < l->end && is_digit(p[1]))
		return false;
	for (; p < l->end && is_digit(*p); p++) {
		if (n > (max - (*p - '0')) / 10)
			return false;
		n = n * 10 + (*p - '0');
	}
	l->p = p;
	*v = n;
	return true;
}

static bool take_u32(struct line *l, uint32_t *v)
{
	uint64_t n;

	if (!take_dec(l, UINT32_MAX, &n))
		return false;
	*v = n;
	return true;
}

/* " key=" and a decimal up to @max. */
static bool take_field(struct line *l, const char *key, uint64_t max,
		       uint64_t *v)
{
	return take(l, " ") && take(l, key) && take(l, "=") &&
	       take_dec(l, max, v);
}

static bool take_field32(struct line *l, const char *key, uint32_t *v)
{
	uint64_t n;

	if (!take_field(l, key, UINT32_MAX, &n))
		return false;
	*v = n;
	return true;
}

/* What %#018llx prints: 0x and 16 lowercase hex digits. */
static bool take_hex16(struct line *l, uint64_t *v)
{
	uint64_t n = 0;
	int i;

	if (!take(l, "0x") || l->end - l->p < 16)
		return false;
	for (i = 0; i < 16; i++) {
		char c = l->p[i];

		if (is_digit(c))
			n = n << 4 | (c - '0');
		else if (c >= 'a' && c <= 'f')
			n = n << 4 | (c - 'a' + 10);
		else
			return false;
	}
	l->p += 16;
	*v = n;
	return true;
}

/* A non-empty word of printable characters up to a space or the end. */
static bool take_word(struct line *l, char *out, size_t size)
{
	const char *p = l->p;
	size_t len;

	while (p < l->end && *p > ' ' && *p < 0x7f)
		p++;
	len = p - l->p;
	if (!len || len >= size || (p < l->end && *p != ' '))
		return false;
	memcpy(out, l->p, len);
	out[len] = '\0';
	l->p = p;
	return true;
}

static bool at_end(const struct line *l)
{
	return l->p == l->end;
}

/* Whether the line goes on with @s, which is left for the taking. */
static bool next_is(const struct line *l, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(l->end - l->p) >= n && !memcmp(l->p, s, n);
}

static bool is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

/* fdinfo */

enum fdinfo_state {
	ST_POS,
	ST_FLAGS,
	ST_MNT_ID,
	ST_INO,
	ST_CONTEXT,
	ST_ACCOUNTING,
	ST_PINNED,
	ST_BODY,
};

/* The kind of the line before, in the body. */
enum body_kind {
	B_NONE,
	B_IOAS,
	B_TABLE,
	B_NESTED,
	B_DEVICE,
	B_PASID,
};

struct fdinfo_parser {
	struct view_fdinfo *fi;
	enum fdinfo_state state;
	enum body_kind last;
	unsigned int lineno;
	struct line whole;	/* the line being parsed, for messages */
	bool nomem;
};

static bool refuse(struct fdinfo_parser *ps, const char *fmt, ...)
{
	char why[128];
	va_list ap;
	int len;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	len = ps->whole.end - ps->whole.p;
	snprintf(ps->fi->error, sizeof(ps->fi->error), "line %u: %s: \"%.*s\"",
		 ps->lineno, why, len > 120 ? 120 : len, ps->whole.p);
	return false;
}

/*
 * Room for one more element in *@arr of @n elements: the capacity is 8,
 * then each power of two that @n reaches doubles it.
 */
static void *push(struct fdinfo_parser *ps, void **arr, unsigned int n,
		  size_t size)
{
	void *p = *arr;

	if (!n || (n >= 8 && !(n & (n - 1)))) {
		p = realloc(*arr, (n ? 2 * n : 8) * size);
		if (!p) {
			ps->nomem = true;
			return NULL;
		}
		*arr = p;
	}
	p = (char *)*arr + n * size;
	memset(p, 0, size);
	return p;
}

/* "key:\t", the key being the text up to the colon. */
static bool take_key(struct line *l, const char *key)
{
	return take(l, key) && take(l, ":\t");
}

static bool parse_kernel_line(struct fdinfo_parser *ps, struct line *l)
{
	static const char * const keys[] = { "pos", "flags", "mnt_id", "ino" };
	uint64_t v;

	if (!take_key(l, keys[ps->state]))
		return refuse(ps, "expected the kernel's %s line",
			      keys[ps->state]);
	switch (ps->state) {
	case ST_POS:
		take(l, "-");
		if (!take_dec(l, INT64_MAX, &v))
			return refuse(ps, "bad position");
		break;
	case ST_FLAGS:
		/* 0%o */
		if (!take(l, "0") || at_end(l))
			return refuse(ps, "bad flags");
		while (!at_end(l) && *l->p >= '0' && *l->p <= '7')
			l->p++;
		break;
	default:
		if (!take_dec(l, UINT64_MAX, &v))
			return refuse(ps, "bad number");
		break;
	}
	if (!at_end(l))
		return refuse(ps, "trailing text");
	ps->state++;
	return true;
}

static bool parse_header_line(struct fdinfo_parser *ps, struct line *l)
{
	struct view_fdinfo *fi = ps->fi;

	switch (ps->state) {
	case ST_CONTEXT:
		if (!take_key(l, "ioasid-context"))
			return refuse(ps, "expected ioasid-context");
		if (!take_u32(l, &fi->context))
			return refuse(ps, "bad context number");
		break;
	case ST_ACCOUNTING:
		if (!take_key(l, "ioasid-accounting"))
			return refuse(ps, "expected ioasid-accounting");
		if (take(l, "user"))
			fi->accounting = VIEW_ACCOUNT_USER;
		else if (take(l, "process"))
			fi->accounting = VIEW_ACCOUNT_PROCESS;
		else
			return refuse(ps, "unknown accounting");
		break;
	default:
		if (!take_key(l, "ioasid-pinned-bytes"))
			return refuse(ps, "expected ioasid-pinned-bytes");
		if (!take_dec(l, UINT64_MAX, &fi->pinned_bytes))
			return refuse(ps, "bad byte count");
		break;
	}
	if (!at_end(l))
		return refuse(ps, "trailing text");
	ps->state++;
	return true;
}

static bool parse_ioas(struct fdinfo_parser *ps, struct line *l)
{
	struct view_fdinfo *fi = ps->fi;
	struct view_ioas *io;

	if (fi->nr_devices || fi->nr_nested)
		return refuse(ps, "an IOASID after the nested ones or devices");
	io = push(ps, (void **)&fi->ioas, fi->nr_ioas, sizeof(*io));
	if (!io)
		return false;
	if (!take_u32(l, &io->id) || !io->id)
		return refuse(ps, "bad IOASID id");
	if (!take_field(l, "mappings", UINT64_MAX, &io->mappings) ||
	    !take_field(l, "mapped-bytes", UINT64_MAX, &io->mapped_bytes) ||
	    !take_field(l, "pinned-bytes", UINT64_MAX, &io->pinned_bytes) ||
	    !take_field(l, "iova-alignment", UINT64_MAX,
			&io->iova_alignment) ||
	    !take_field(l, "tables", UINT32_MAX, &io->tables) ||
	    !take_field(l, "accesses", UINT32_MAX, &io->accesses) ||
	    !at_end(l))
		return refuse(ps, "malformed ioasid-ioas");
	if (fi->nr_ioas && io->id <= fi->ioas[fi->nr_ioas - 1].id)
		return refuse(ps, "IOASIDs out of order");
	if (!is_pow2(io->iova_alignment))
		return refuse(ps, "IOVA alignment not a power of two");
	if (!io->mappings != !io->mapped_bytes ||
	    !io->mappings != !io->pinned_bytes)
		return refuse(ps, "mappings and bytes disagree");
	io->first_table = fi->nr_tables;
	fi->nr_ioas++;
	ps->last = B_IOAS;
	return true;
}

static bool parse_table(struct fdinfo_parser *ps, struct line *l)
{
	struct view_fdinfo *fi = ps->fi;
	struct view_ioas *io;
	struct view_table *t;

	if (ps->last != B_IOAS && ps->last != B_TABLE)
		return refuse(ps, "a table not after its IOASID");
	io = &fi->ioas[fi->nr_ioas - 1];
	t = push(ps, (void **)&fi->tables, fi->nr_tables, sizeof(*t));
	if (!t)
		return false;
	if (!take_u32(l, &t->id) || !take_field32(l, "ioas", &t->ioas) ||
	    !take_field(l, "devices", UINT32_MAX, &t->devices) ||
	    !take_field32(l, "coherent", &t->coherent) || !at_end(l))
		return refuse(ps, "malformed ioasid-table");
	if (t->ioas != io->id)
		return refuse(ps, "a table of IOASID %u after IOASID %u",
			      t->ioas, io->id);
	if (t->coherent > 1)
		return refuse(ps, "coherent is neither 0 nor 1");
	fi->nr_tables++;
	io->nr_tables++;
	ps->last = B_TABLE;
	return true;
}

static bool parse_nested(struct fdinfo_parser *ps, struct line *l)
{
	struct view_fdinfo *fi = ps->fi;
	struct view_nested *n;

	if (fi->nr_devices)
		return refuse(ps, "a nested IOASID after the devices");
	n = push(ps, (void **)&fi->nested, fi->nr_nested, sizeof(*n));
	if (!n)
		return false;
	if (!take_u32(l, &n->id) || !n->id ||
	    !take_field32(l, "parent", &n->parent) ||
	    !take_field32(l, "table", &n->table) ||
	    !take_field32(l, "format", &n->format) || !at_end(l))
		return refuse(ps, "malformed ioasid-nested");
	if (fi->nr_nested && n->id <= fi->nested[fi->nr_nested - 1].id)
		return refuse(ps, "nested IOASIDs out of order");
	fi->nr_nested++;
	ps->last = B_NESTED;
	return true;
}

static bool parse_device(struct fdinfo_parser *ps, struct line *l)
{
	struct view_fdinfo *fi = ps->fi;
	struct view_device *d;

	d = push(ps, (void **)&fi->devices, fi->nr_devices, sizeof(*d));
	if (!d)
		return false;
	if (!take_word(l, d->name, sizeof(d->name)) ||
	    !take_field32(l, "dma-owner", &d->dma_owner))
		return refuse(ps, "malformed ioasid-device");
	if (d->dma_owner > 1)
		return refuse(ps, "dma-owner is neither 0 nor 1");
	if (next_is(l, " ioas=")) {
		if (!take_field32(l, "ioas", &d->ioas) ||
		    !take_field32(l, "table", &d->table))
			return refuse(ps, "malformed ioasid-device");
		if (!d->ioas)
			return refuse(ps, "attached to IOASID 0");
		if (!d->dma_owner)
			return refuse(ps, "the RID of a PASID lender attached");
		d->attached = true;
	}
	if (!take_field32(l, "id", &d->id) || !at_end(l))
		return refuse(ps, "malformed ioasid-device");
	if (!d->id)
		return refuse(ps, "a binding with id 0");
	d->first_pasid = fi->nr_pasids;
	fi->nr_devices++;
	ps->last = B_DEVICE;
	return true;
}

static bool parse_pasid(struct fdinfo_parser *ps, struct line *l)
{
	struct view_fdinfo *fi = ps->fi;
	struct view_device *d;
	struct view_pasid *pa;

	if (ps->last != B_DEVICE && ps->last != B_PASID)
		return refuse(ps, "a PASID not after its device");
	d = &fi->devices[fi->nr_devices - 1];
	pa = push(ps, (void **)&fi->pasids, fi->nr_pasids, sizeof(*pa));
	if (!pa)
		return false;
	if (!take_word(l, pa->dev, sizeof(pa->dev)) ||
	    !take_field32(l, "pasid", &pa->pasid) ||
	    !take_field32(l, "ioas", &pa->ioas) ||
	    !take_field32(l, "table", &pa->table) || !at_end(l))
		return refuse(ps, "malformed ioasid-pasid");
	if (strcmp(pa->dev, d->name))
		return refuse(ps, "a PASID of %s after device %s", pa->dev,
			      d->name);
	if (!pa->ioas)
		return refuse(ps, "attached to IOASID 0");
	if (d->nr_pasids && pa->pasid <= fi->pasids[fi->nr_pasids - 1].pasid)
		return refuse(ps, "PASIDs out of order");
	fi->nr_pasids++;
	d->nr_pasids++;
	ps->last = B_PASID;
	return true;
}

static bool parse_body_line(struct fdinfo_parser *ps, struct line *l)
{
	if (take_key(l, "ioasid-ioas"))
		return parse_ioas(ps, l);
	if (take_key(l, "ioasid-table"))
		return parse_table(ps, l);
	if (take_key(l, "ioasid-nested"))
		return parse_nested(ps, l);
	if (take_key(l, "ioasid-device"))
		return parse_device(ps, l);
	if (take_key(l, "ioasid-pasid"))
		return parse_pasid(ps, l);
	return refuse(ps, "unknown key");
}

void fdinfo_free(struct view_fdinfo *fi)
{
	free(fi->ioas);
	free(fi->tables);
	free(fi->devices);
	free(fi->pasids);
	free(fi->nested);
	fi->nested = NULL;
	fi->nr_nested = 0;
	fi->ioas = NULL;
	fi->tables = NULL;
	fi->devices = NULL;
	fi->pasids = NULL;
	fi->nr_ioas = 0;
	fi->nr_tables = 0;
	fi->nr_devices = 0;
	fi->nr_pasids = 0;
}

int fdinfo_parse(const char *text, struct view_fdinfo *fi)
{
	struct fdinfo_parser ps = { .fi = fi };
	const char *p = text, *nl;
	bool ok = true;
	int ret = 0;

	fdinfo_free(fi);
	memset(fi, 0, sizeof(*fi));
	while (*p && ok) {
		struct line l;

		ps.lineno++;
		nl = strchr(p, '\n');
		l.p = p;
		l.end = nl ? nl : p + strlen(p);
		ps.whole = l;
		if (!nl)
			ok = refuse(&ps, "no newline at the end");
		else if (ps.state < ST_CONTEXT)
			ok = parse_kernel_line(&ps, &l);
		else if (ps.state < ST_BODY)
			ok = parse_header_line(&ps, &l);
		else
			ok = parse_body_line(&ps, &l);
		p = nl ? nl + 1 : l.end;
	}
	if (ok && ps.state != ST_BODY) {
		ps.whole.p = p;
		ps.whole.end = p;
		ps.lineno++;
		ok = refuse(&ps, "the fdinfo ends before its ioasid- header");
	}
	if (ps.nomem)
		ret = ENOMEM;
	else if (!ok)
		ret = VIEW_REFUSED;
	return ret;
}

int fdinfo_read(pid_t pid, int fd, struct view_fdinfo *fi)
{
	char path[64], *text;
	int err;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)pid, fd);
	text = view_read_path(path, 0, NULL, &err);
	if (!text) {
		snprintf(fi->error, sizeof(fi->error), "reading %s: %s", path,
			 strerror(err));
		return err;
	}
	err = fdinfo_parse(text, fi);
	free(text);
	return err;
}

static int inconsistent(struct view_fdinfo *fi, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fi->error, sizeof(fi->error), fmt, ap);
	va_end(ap);
	return VIEW_REFUSED;
}

/* Whether the table @table is one of IOASID @ioas's. */
static const struct view_nested *nested_of(const struct view_fdinfo *fi,
					   uint32_t id)
{
	unsigned int i;

	for (i = 0; i < fi->nr_nested; i++)
		if (fi->nested[i].id == id)
			return &fi->nested[i];
	return NULL;
}

/*
 * Whether @table is listed as a table of IOASID @ioas, or, for a nested
 * IOASID, is the one of its parent it nests on.
 */
static bool table_of(const struct view_fdinfo *fi, uint32_t ioas,
		     uint32_t table)
{
	const struct view_table *t = fdinfo_table(fi, table);
	const struct view_nested *n = nested_of(fi, ioas);

	if (n && n->table != table)
		return false;
	if (n)
		ioas = n->parent;
	return t && t->ioas == ioas && fdinfo_ioas(fi, ioas);
}

int fdinfo_check(struct view_fdinfo *fi)
{
	unsigned int i, j;
	uint64_t through;

	for (i = 0; i < fi->nr_ioas; i++)
		if (fi->ioas[i].nr_tables != fi->ioas[i].tables)
			return inconsistent(fi, "IOASID %u counts %llu tables, lists %u",
					    fi->ioas[i].id,
					    (unsigned long long)fi->ioas[i].tables,
					    fi->ioas[i].nr_tables);
	for (i = 0; i < fi->nr_tables; i++)
		for (j = 0; j < i; j++)
			if (fi->tables[i].id == fi->tables[j].id)
				return inconsistent(fi, "table %u is listed twice",
						    fi->tables[i].id);
	for (i = 0; i < fi->nr_nested; i++)
		if (!table_of(fi, fi->nested[i].id, fi->nested[i].table))
			return inconsistent(fi, "nested %u on table %u of %u: not listed",
					    fi->nested[i].id, fi->nested[i].table,
					    fi->nested[i].parent);
	for (i = 0; i < fi->nr_devices; i++) {
		const struct view_device *d = &fi->devices[i];

		if (d->attached && !table_of(fi, d->ioas, d->table))
			return inconsistent(fi, "%s is on table %u of IOASID %u: not listed",
					    d->name, d->table, d->ioas);
	}
	for (i = 0; i < fi->nr_pasids; i++) {
		const struct view_pasid *pa = &fi->pasids[i];

		if (!table_of(fi, pa->ioas, pa->table))
			return inconsistent(fi,
					    "%s PASID %u is on table %u of IOASID %u: not listed",
					    pa->dev, pa->pasid, pa->table,
					    pa->ioas);
	}
	for (i = 0; i < fi->nr_tables; i++) {
		const struct view_table *t = &fi->tables[i];

		through = 0;
		for (j = 0; j < fi->nr_devices; j++)
			through += fi->devices[j].attached &&
				   fi->devices[j].table == t->id;
		for (j = 0; j < fi->nr_pasids; j++)
			through += fi->pasids[j].table == t->id;
		if (through != t->devices)
			return inconsistent(fi, "table %u counts %llu devices, has %llu",
					    t->id,
					    (unsigned long long)t->devices,
					    (unsigned long long)through);
	}
	return 0;
}

const struct view_ioas *fdinfo_ioas(const struct view_fdinfo *fi, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < fi->nr_ioas; i++)
		if (fi->ioas[i].id == id)
			return &fi->ioas[i];
	return NULL;
}

const struct view_table *fdinfo_table(const struct view_fdinfo *fi,
				      uint32_t id)
{
	unsigned int i;

	for (i = 0; i < fi->nr_tables; i++)
		if (fi->tables[i].id == id)
			return &fi->tables[i];
	return NULL;
}

const struct view_device *fdinfo_device(const struct view_fdinfo *fi,
					const char *name)
{
	unsigned int i;

	for (i = 0; i < fi->nr_devices; i++)
		if (!strcmp(fi->devices[i].name, name))
			return &fi->devices[i];
	return NULL;
}

const struct view_pasid *fdinfo_pasid(const struct view_fdinfo *fi,
				      const char *name, uint32_t pasid)
{
	unsigned int i;

	for (i = 0; i < fi->nr_pasids; i++)
		if (!strcmp(fi->pasids[i].dev, name) &&
		    fi->pasids[i].pasid == pasid)
			return &fi->pasids[i];
	return NULL;
}

/* debugfs */

static int bad_line(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
	return VIEW_REFUSED;
}

int mapping_parse(const char *text, size_t len, struct view_mapping *m,
		  char *why, size_t why_len)
{
	static const char * const backings[] = {
		[VIEW_4K] = "4k", [VIEW_THP] = "thp",
		[VIEW_HUGETLB] = "hugetlb", [VIEW_MIXED] = "mixed",
	};
	static const char * const prots[] = { "rw", "r-", "-w" };
	const uint64_t page = sysconf(_SC_PAGESIZE);
	struct line l = { .p = text, .end = text + len };
	char word[16];
	unsigned int i;

	memset(m, 0, sizeof(*m));
	if (!take_u32(&l, &m->ioas) || !m->ioas || !take(&l, " ") ||
	    !take_hex16(&l, &m->start) || !take(&l, "-") ||
	    !take_hex16(&l, &m->last) || !take(&l, " "))
		return bad_line(why, why_len, "bad IOASID or range");
	for (i = 0; i < 3 && !take(&l, prots[i]); i++)
		;
	if (i == 3)
		return bad_line(why, why_len, "bad prot");
	m->read = i != 2;
	m->write = i != 1;
	if (!take(&l, " ") || !take_dec(&l, UINT64_MAX, &m->bytes) ||
	    !take(&l, " ") || !take_word(&l, word, sizeof(word)))
		return bad_line(why, why_len, "bad byte count or backing");
	for (i = 0; i < 4 && strcmp(word, backings[i]); i++)
		;
	if (i == 4)
		return bad_line(why, why_len, "unknown backing %s", word);
	m->backing = i;
	if (!take(&l, " ") || !take_word(&l, word, sizeof(word)) ||
	    !at_end(&l))
		return bad_line(why, why_len, "bad sharing");
	if (!strcmp(word, "shared"))
		m->shared = true;
	else if (strcmp(word, "private"))
		return bad_line(why, why_len, "unknown sharing %s", word);
	if (m->last < m->start || m->last - m->start + 1 != m->bytes)
		return bad_line(why, why_len, "the range and the bytes disagree");
	if ((m->start | m->bytes) & (page - 1))
		return bad_line(why, why_len, "not in whole pages");
	return 0;
}

int mappings_parse(const char *text, struct view_mapping **maps, size_t *nr,
		   char *why, size_t why_len)
{
	struct view_mapping *arr = NULL, *p;
	size_t n = 0, cap = 0, lineno = 0;
	char what[128];
	const char *nl;
	int ret = 0;

	*maps = NULL;
	*nr = 0;
	for (; *text; text = nl + 1) {
		lineno++;
		nl = strchr(text, '\n');
		if (!nl) {
			ret = bad_line(why, why_len,
				       "line %zu: no newline at the end", lineno);
			break;
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			p = realloc(arr, cap * sizeof(*arr));
			if (!p) {
				ret = ENOMEM;
				break;
			}
			arr = p;
		}
		ret = mapping_parse(text, nl - text, &arr[n], what,
				    sizeof(what));
		if (ret) {
			bad_line(why, why_len, "line %zu: %s: \"%.*s\"", lineno,
				 what, (int)(nl - text > 120 ? 120 : nl - text),
				 text);
			break;
		}
		n++;
	}
	if (ret) {
		free(arr);
		return ret;
	}
	*maps = arr;
	*nr = n;
	return 0;
}

bool mappings_ordered(const struct view_mapping *maps, size_t nr, char *why,
		      size_t why_len)
{
	size_t i;

	for (i = 1; i < nr; i++) {
		const struct view_mapping *a = &maps[i - 1], *b = &maps[i];

		if (b->ioas > a->ioas || (b->ioas == a->ioas &&
					  b->start > a->last))
			continue;
		bad_line(why, why_len, "line %zu: %u %#llx is not after %u %#llx-%#llx",
			 i + 1, b->ioas, (unsigned long long)b->start, a->ioas,
			 (unsigned long long)a->start,
			 (unsigned long long)a->last);
		return false;
	}
	return true;
}

int owner_parse(const char *text, pid_t *pid, char *comm, size_t comm_len)
{
	struct line l = { .p = text, .end = strchr(text, '\n') };
	uint64_t n;
	size_t len;

	if (!l.end || l.end[1] || !take(&l, "pid=") ||
	    !take_dec(&l, INT32_MAX, &n) || !n || !take(&l, " comm="))
		return VIEW_REFUSED;
	len = l.end - l.p;
	if (len >= comm_len)
		len = comm_len - 1;
	memcpy(comm, l.p, len);
	comm[len] = '\0';
	*pid = n;
	return 0;
}

void debugfs_path(char *path, size_t size, uint32_t context, const char *file)
{
	if (file)
		snprintf(path, size, IOASID_DEBUGFS "/%u/%s", context, file);
	else
		snprintf(path, size, IOASID_DEBUGFS "/%u", context);
}
