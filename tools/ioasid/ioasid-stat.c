// SPDX-License-Identifier: GPL-2.0-only
/*
 * ioasid-stat: which processes hold /dev/ioasid address spaces, what each
 * IOASID maps and pins, and which devices are attached to it.
 *
 * Everything comes from text the kernel exports: the ioasid-* lines of
 * /proc/PID/fdinfo/FD and, with -m, the mappings file of the fd's context
 * in debugfs.  The tool issues no ioctl and includes no uAPI header, so it
 * sees any fd that /proc lets it see and builds against any kernel's
 * headers.  Keys and tokens it does not know are skipped: the format may
 * grow.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/compiler.h>

#define DEVICE_PATH	"/dev/ioasid"
#define DEBUGFS_DIR	"/sys/kernel/debug/ioasid"
#define NONE		(-1LL)	/* a number the kernel left out */
#define HUMAN_LEN	32	/* "17179869184.0 GiB" and a margin */

struct mapping {
	unsigned long long start, last, bytes;
	char *prot, *backing, *sharing;
};

struct ioas {
	long long id;
	unsigned long long mappings, mapped, pinned, align, tables, accesses;
	long long *table_ids;
	size_t nr_tables;
	struct mapping *maps;
	size_t nr_maps;
};

struct pasid {
	long long pasid, ioas, table;
};

struct device {
	char *name;
	bool dma_owner;
	long long ioas, table;		/* NONE: the RID is detached */
	struct pasid *pasids;
	size_t nr_pasids;
};

/* One /dev/ioasid fd of one process. */
struct holder {
	int pid, fd;
	char *comm;
	long long ctx;
	char *accounting;
	unsigned long long pinned;
	struct ioas *ioas;
	size_t nr_ioas;
	struct device *devs;
	size_t nr_devs;
	int maps_err;			/* -m: why debugfs said no */
};

static struct {
	bool json, maps;
	const char *parse, *maps_file;
	int *pids;
	size_t nr_pids;
} opt;

static struct holder *holders;
static size_t nr_holders;
static unsigned int unreadable;	/* processes /proc kept from us */

static __noreturn void oom(void)
{
	fprintf(stderr, "ioasid-stat: out of memory\n");
	exit(1);
}

/*
 * Appends a zeroed element of @size bytes to the array *@arrp of *@nr
 * elements and returns it.  One realloc per element keeps the callers
 * short; the arrays stay small.
 */
static void *grow(void *arrp, size_t *nr, size_t size)
{
	char *arr;

	if (*nr + 1 > SIZE_MAX / size)
		oom();
	/* memcpy, as *arrp is a pointer to some other pointer type */
	memcpy(&arr, arrp, sizeof(arr));
	arr = realloc(arr, (*nr + 1) * size);
	if (!arr)
		oom();
	memcpy(arrp, &arr, sizeof(arr));
	memset(arr + *nr * size, 0, size);
	return arr + (*nr)++ * size;
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		oom();
	return p;
}

static __printf(1, 2) char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int ret;

	va_start(ap, fmt);
	ret = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (ret < 0)
		oom();
	return s;
}

static bool to_u64(const char *s, int base, unsigned long long *v)
{
	char *end;

	/* strtoull() would take blanks and a minus sign too */
	if (!s || !isxdigit((unsigned char)*s))
		return false;
	errno = 0;
	*v = strtoull(s, &end, base);
	return !*end && !errno;
}

/* @s as a number below 2^63, or NONE when it is not one. */
static long long to_num(const char *s)
{
	unsigned long long v;

	if (!to_u64(s, 10, &v) || v > INT64_MAX)
		return NONE;
	return v;
}

/* Splits @s at blanks in place; the tokens go to a new array *@tok. */
static size_t split(char *s, char ***tok)
{
	size_t n = 0;
	char *save, *t;

	*tok = NULL;
	for (t = strtok_r(s, " \t\n", &save); t;
	     t = strtok_r(NULL, " \t\n", &save))
		*(char **)grow(tok, &n, sizeof(char *)) = t;
	return n;
}

/* The number in the key=value token @key after the subject, or NONE. */
static long long kv(char **tok, size_t n, const char *key)
{
	size_t i, len = strlen(key);

	for (i = 1; i < n; i++)
		if (!strncmp(tok[i], key, len) && tok[i][len] == '=')
			return to_num(tok[i] + len + 1);
	return NONE;
}

/* A count the kernel left out, or garbled, counts as 0. */
static unsigned long long or0(long long v)
{
	return v == NONE ? 0 : v;
}

static struct ioas *find_ioas(struct holder *h, long long id)
{
	size_t i;

	for (i = 0; i < h->nr_ioas; i++)
		if (h->ioas[i].id == id)
			return &h->ioas[i];
	return NULL;
}

static void parse_ioas(struct holder *h, char **tok, size_t n)
{
	struct ioas *io = grow(&h->ioas, &h->nr_ioas, sizeof(*io));

	io->id = to_num(tok[0]);
	io->mappings = or0(kv(tok, n, "mappings"));
	io->mapped = or0(kv(tok, n, "mapped-bytes"));
	io->pinned = or0(kv(tok, n, "pinned-bytes"));
	io->align = or0(kv(tok, n, "iova-alignment"));
	io->tables = or0(kv(tok, n, "tables"));
	io->accesses = or0(kv(tok, n, "accesses"));
}

/* A table belongs to the IOASID it names, else to the line before it. */
static void parse_table(struct holder *h, char **tok, size_t n)
{
	struct ioas *io = find_ioas(h, kv(tok, n, "ioas"));

	if (!io && h->nr_ioas)
		io = &h->ioas[h->nr_ioas - 1];
	if (io)
		*(long long *)grow(&io->table_ids, &io->nr_tables,
				   sizeof(long long)) = to_num(tok[0]);
}

static void parse_device(struct holder *h, char **tok, size_t n)
{
	struct device *dev = grow(&h->devs, &h->nr_devs, sizeof(*dev));

	dev->name = xstrdup(tok[0]);
	dev->dma_owner = kv(tok, n, "dma-owner") > 0;
	dev->ioas = kv(tok, n, "ioas");
	dev->table = kv(tok, n, "table");
}

/* A PASID follows its device's line; a name seen twice means the last. */
static void parse_pasid(struct holder *h, char **tok, size_t n)
{
	struct pasid *p;
	size_t i;

	for (i = h->nr_devs; i; i--)
		if (!strcmp(h->devs[i - 1].name, tok[0]))
			break;
	if (!i)
		return;
	p = grow(&h->devs[i - 1].pasids, &h->devs[i - 1].nr_pasids,
		 sizeof(*p));
	p->pasid = kv(tok, n, "pasid");
	p->ioas = kv(tok, n, "ioas");
	p->table = kv(tok, n, "table");
}

/* "key:<tab>subject key=value...": the kernel's own lines are skipped. */
static void parse_line(struct holder *h, char *line)
{
	char *key = line, *val = strchr(line, ':');
	char **tok;
	size_t n;

	if (!val || strncmp(key, "ioasid-", 7))
		return;
	*val++ = '\0';
	key += 7;
	n = split(val, &tok);
	if (!n)
		return;
	if (!strcmp(key, "context"))
		h->ctx = to_num(tok[0]);
	else if (!strcmp(key, "accounting") && !h->accounting)
		h->accounting = xstrdup(tok[0]);
	else if (!strcmp(key, "pinned-bytes"))
		h->pinned = or0(to_num(tok[0]));
	else if (!strcmp(key, "ioas"))
		parse_ioas(h, tok, n);
	else if (!strcmp(key, "table"))
		parse_table(h, tok, n);
	else if (!strcmp(key, "device"))
		parse_device(h, tok, n);
	else if (!strcmp(key, "pasid"))
		parse_pasid(h, tok, n);
	free(tok);
}

/* Returns 0, or the errno that kept @path from being read whole. */
static int parse_fdinfo(struct holder *h, const char *path)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	int err = 0;

	if (!f)
		return errno;
	while (getline(&line, &cap, f) > 0)
		parse_line(h, line);
	if (ferror(f))
		err = errno ? errno : EIO;
	free(line);
	fclose(f);
	return err;
}

/*
 * Reads @path as the fdinfo of @pid's @fd; returns 0 or an errno.  When
 * the fd goes away halfway, what was parsed of it is dropped unfreed: the
 * tool exits soon.
 */
static int add_holder(int pid, int fd, const char *comm, const char *path)
{
	struct holder h = { .pid = pid, .fd = fd, .ctx = NONE };
	int err = parse_fdinfo(&h, path);

	if (err)
		return err;
	h.comm = xstrdup(comm);
	*(struct holder *)grow(&holders, &nr_holders, sizeof(h)) = h;
	return 0;
}

/* @pid's name, or "?" once it is gone: a name is not worth failing for. */
static char *read_comm(int pid)
{
	char path[64], *line = NULL;
	size_t cap = 0;
	ssize_t len = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "re");
	if (f) {
		len = getline(&line, &cap, f);
		fclose(f);
	}
	if (len <= 0) {
		free(line);
		return xstrdup("?");
	}
	if (line[len - 1] == '\n')
		line[len - 1] = '\0';
	return line;
}

/* Whether @pid's @fd is /dev/ioasid; *@denied when /proc said no. */
static bool is_ioasid(int pid, int fd, bool *denied)
{
	char path[64], target[sizeof(DEVICE_PATH) + 1];
	ssize_t len;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
	/* A longer target fills @target and then does not compare equal. */
	len = readlink(path, target, sizeof(target));
	if (len < 0 && (errno == EACCES || errno == EPERM))
		*denied = true;
	return len == sizeof(DEVICE_PATH) - 1 &&
	       !memcmp(target, DEVICE_PATH, len);
}

/* @s as a PID or an fd number, or -1. */
static int to_int(const char *s)
{
	long long v = to_num(s);

	return v >= 0 && v <= INT32_MAX ? v : -1;
}

/* Records @pid's /dev/ioasid fds; false when /proc denied us a look. */
static bool scan_pid(int pid)
{
	char path[64], *comm = NULL;
	bool denied = false;
	struct dirent *e;
	int fd, err;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	dir = opendir(path);
	if (!dir)
		return errno != EACCES && errno != EPERM;
	while ((e = readdir(dir))) {
		fd = to_int(e->d_name);
		if (fd < 0 || !is_ioasid(pid, fd, &denied))
			continue;
		if (!comm)
			comm = read_comm(pid);
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fd);
		err = add_holder(pid, fd, comm, path);
		if (err == EACCES || err == EPERM)
			denied = true;
	}
	closedir(dir);
	free(comm);
	return !denied;
}

static void scan_all(void)
{
	struct dirent *e;
	DIR *dir = opendir("/proc");
	int pid;

	if (!dir) {
		perror("ioasid-stat: /proc");
		exit(1);
	}
	while ((e = readdir(dir))) {
		pid = to_int(e->d_name);
		if (pid > 0 && !scan_pid(pid))
			unreadable++;
	}
	closedir(dir);
}

static int by_pid_fd(const void *a, const void *b)
{
	const struct holder *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->fd < y->fd ? -1 : x->fd > y->fd;
}

/* One line of a mappings file: <ioas> <start>-<last> <prot> <bytes> ... */
static void parse_mapping(struct holder *h, char *line)
{
	struct mapping *m;
	struct ioas *io;
	char **tok, *last;
	size_t n = split(line, &tok);

	io = n >= 6 ? find_ioas(h, to_num(tok[0])) : NULL;
	if (!io)
		goto out;
	last = strchr(tok[1], '-');
	if (!last)
		goto out;
	*last++ = '\0';
	m = grow(&io->maps, &io->nr_maps, sizeof(*m));
	if (!to_u64(tok[1], 16, &m->start) || !to_u64(last, 16, &m->last) ||
	    !to_u64(tok[3], 10, &m->bytes)) {
		io->nr_maps--;	/* not a mapping line: forget it */
		goto out;
	}
	m->prot = xstrdup(tok[2]);
	m->backing = xstrdup(tok[4]);
	m->sharing = xstrdup(tok[5]);
out:
	free(tok);
}

/* -m: the mappings of @h's IOASIDs, from debugfs or --mappings FILE. */
static void read_mappings(struct holder *h)
{
	char *path = NULL, *line = NULL;
	size_t cap = 0;
	FILE *f;

	h->maps_err = ENOENT;
	if (opt.maps_file)
		path = xstrdup(opt.maps_file);
	else if (h->ctx != NONE)
		path = xasprintf(DEBUGFS_DIR "/%lld/mappings", h->ctx);
	else
		return;
	f = fopen(path, "re");
	free(path);
	if (!f) {
		h->maps_err = errno;
		return;
	}
	while (getline(&line, &cap, f) > 0)
		parse_mapping(h, line);
	h->maps_err = ferror(f) ? EIO : 0;
	free(line);
	fclose(f);
}

/* @b in B below 1 KiB, else in KiB, MiB or GiB with one decimal. */
static const char *human(unsigned long long b, char *buf)
{
	static const char *const units[] = { "KiB", "MiB", "GiB" };
	double v = b;
	int i;

	if (b < 1024) {
		snprintf(buf, HUMAN_LEN, "%llu B", b);
		return buf;
	}
	/* 1023.97 KiB would print as "1024.0 KiB": call it 1.0 MiB */
	for (i = 0; i < 2 && v >= 1024 * 1023.95; i++)
		v /= 1024;
	snprintf(buf, HUMAN_LEN, "%.1f %s", v / 1024, units[i]);
	return buf;
}

enum { PID, COMM, FD, CTX, IOASID, MAPS, MAPPED, PINNED, TABLES, DEVICES,
	NR_COLS };

static const char *const col_names[NR_COLS] = {
	"PID", "COMM", "FD", "CTX", "IOASID", "MAPS", "MAPPED", "PINNED",
	"TABLES", "DEVICES",
};

/* Whatever a process named itself, its row stays one line of text. */
static char *printable(char *s)
{
	char *c;

	for (c = s; *c; c++)
		if (!isprint((unsigned char)*c))
			*c = '?';
	return s;
}

static char *num_cell(long long v)
{
	return v == NONE ? xstrdup("-") : xasprintf("%lld", v);
}

/* The devices attached to IOASID @id: RIDs by name, PASIDs name/pasid=N. */
static char *attached(const struct holder *h, long long id)
{
	char *s = NULL;
	size_t len = 0, i, j;
	FILE *f = open_memstream(&s, &len);
	const struct device *dev;
	const char *sep = "";

	if (!f)
		oom();
	/* an IOASID line without an id must not claim the detached devices */
	for (i = 0; id != NONE && i < h->nr_devs; i++) {
		dev = &h->devs[i];
		if (dev->ioas == id) {
			fprintf(f, "%s%s", sep, dev->name);
			sep = ",";
		}
		for (j = 0; j < dev->nr_pasids; j++) {
			if (dev->pasids[j].ioas != id)
				continue;
			fprintf(f, "%s%s/pasid=%lld", sep, dev->name,
				dev->pasids[j].pasid);
			sep = ",";
		}
	}
	if (fclose(f))
		oom();
	if (len)
		return s;
	free(s);
	return xstrdup("-");
}

/* Row @row of @h's rows: its IOASID, or dashes if it has none. */
static void make_cells(const struct holder *h, size_t row, char **cells)
{
	const struct ioas *io = row < h->nr_ioas ? &h->ioas[row] : NULL;
	char buf[HUMAN_LEN];

	cells[PID] = num_cell(h->pid);
	cells[COMM] = printable(xstrdup(h->comm));
	cells[FD] = num_cell(h->fd);
	cells[CTX] = num_cell(h->ctx);
	cells[IOASID] = num_cell(io ? io->id : NONE);
	cells[MAPS] = io ? xasprintf("%llu", io->mappings) : xstrdup("-");
	cells[MAPPED] = xstrdup(io ? human(io->mapped, buf) : "-");
	cells[PINNED] = xstrdup(io ? human(io->pinned, buf) : "-");
	cells[TABLES] = io ? xasprintf("%llu", io->tables) : xstrdup("-");
	cells[DEVICES] = printable(io ? attached(h, io->id) : xstrdup("-"));
}

static size_t nr_rows(const struct holder *h)
{
	return h->nr_ioas ? h->nr_ioas : 1;
}

/*
 * The first pass widens @width to fit @cells, the second prints them:
 * names left-aligned (the last one unpadded), numbers right-aligned.
 */
static void put_cells(char **cells, size_t *width, bool print)
{
	int i, w;

	for (i = 0; i < NR_COLS; i++) {
		w = i == NR_COLS - 1 ? 0 : (int)width[i];
		if (!print && strlen(cells[i]) > width[i])
			width[i] = strlen(cells[i]);
		else if (print && (i == COMM || i == DEVICES))
			printf("%s%-*s", i ? "  " : "", w, cells[i]);
		else if (print)
			printf("%s%*s", i ? "  " : "", w, cells[i]);
		free(cells[i]);
	}
	if (print)
		putchar('\n');
}

/* Under an fd's rows: its totals, and the devices bound but unattached. */
static void print_summary(const struct holder *h)
{
	char buf[HUMAN_LEN];
	const char *sep = "; bound: ";
	char *name;
	size_t i;

	printf("  fd %d of %d: accounting %s, %s pinned in all", h->fd,
	       h->pid, h->accounting ? h->accounting : "?",
	       human(h->pinned, buf));
	for (i = 0; i < h->nr_devs; i++) {
		if (h->devs[i].ioas != NONE || h->devs[i].nr_pasids)
			continue;
		name = printable(xstrdup(h->devs[i].name));
		printf("%s%s", sep, name);
		free(name);
		sep = ",";
	}
	putchar('\n');
}

static void print_mappings(const struct holder *h)
{
	char buf[HUMAN_LEN];
	const struct mapping *m;
	size_t i, j, n = 0;

	if (h->maps_err) {
		printf("  mappings: not readable (%s); they need root and debugfs mounted\n",
		       strerror(h->maps_err));
		return;
	}
	for (i = 0; i < h->nr_ioas; i++) {
		for (j = 0; j < h->ioas[i].nr_maps; j++, n++) {
			m = &h->ioas[i].maps[j];
			printf("    ioas %lld  0x%016llx-0x%016llx  %-2s  %10s  %-7s  %s\n",
			       h->ioas[i].id, m->start, m->last, m->prot,
			       human(m->bytes, buf), m->backing, m->sharing);
		}
	}
	if (!n)
		printf("  mappings: none\n");
}

/* Two passes over the same cells: the widths, then the rows. */
static void print_table(void)
{
	size_t width[NR_COLS] = { 0 };
	char *cells[NR_COLS];
	int pass, i;
	size_t h, r;

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < NR_COLS; i++)
			cells[i] = xstrdup(col_names[i]);
		put_cells(cells, width, pass);
		for (h = 0; h < nr_holders; h++) {
			for (r = 0; r < nr_rows(&holders[h]); r++) {
				make_cells(&holders[h], r, cells);
				put_cells(cells, width, pass);
			}
			if (!pass)
				continue;
			print_summary(&holders[h]);
			if (opt.maps)
				print_mappings(&holders[h]);
		}
	}
}

/* The length of the valid UTF-8 sequence at @s, 0 if there is none. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	/* overlong forms, surrogates, and beyond U+10FFFF */
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* @s as a JSON string; bytes that are not UTF-8 become U+FFFD. */
static void json_str(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n;

	putchar('"');
	while (*s) {
		if (*s == '"' || *s == '\\') {
			printf("\\%c", *s++);
		} else if (*s < 0x20 || *s == 0x7f) {
			printf("\\u%04x", *s++);
		} else if (*s < 0x80) {
			putchar(*s++);
		} else {
			n = utf8_len(s);
			if (n)
				fwrite(s, 1, n, stdout);
			else
				fputs("\\ufffd", stdout);
			s += n ? n : 1;
		}
	}
	putchar('"');
}

static void json_num(long long v)
{
	if (v == NONE)
		fputs("null", stdout);
	else
		printf("%lld", v);
}

static void json_mappings(const struct holder *h, const struct ioas *io)
{
	const struct mapping *m;
	size_t i;

	fputs(", \"mappings_list\": ", stdout);
	if (h->maps_err) {
		fputs("null", stdout);
		return;
	}
	putchar('[');
	for (i = 0; i < io->nr_maps; i++) {
		m = &io->maps[i];
		/* IOVAs as hex strings: doubles in JSON readers lose bits */
		printf("%s\n        {\"start\": \"0x%016llx\", \"last\": \"0x%016llx\", \"prot\": ",
		       i ? "," : "", m->start, m->last);
		json_str(m->prot);
		printf(", \"bytes\": %llu, \"backing\": ", m->bytes);
		json_str(m->backing);
		fputs(", \"sharing\": ", stdout);
		json_str(m->sharing);
		putchar('}');
	}
	fputs(io->nr_maps ? "\n      ]" : "]", stdout);
}

static void json_ioas(const struct holder *h, const struct ioas *io)
{
	size_t i;

	fputs("{\"id\": ", stdout);
	json_num(io->id);
	printf(", \"mappings\": %llu, \"mapped_bytes\": %llu",
	       io->mappings, io->mapped);
	printf(", \"pinned_bytes\": %llu, \"iova_alignment\": %llu",
	       io->pinned, io->align);
	printf(", \"tables\": %llu, \"accesses\": %llu, \"table_ids\": [",
	       io->tables, io->accesses);
	for (i = 0; i < io->nr_tables; i++) {
		fputs(i ? ", " : "", stdout);
		json_num(io->table_ids[i]);
	}
	putchar(']');
	if (opt.maps)
		json_mappings(h, io);
	putchar('}');
}

static void json_device(const struct device *dev)
{
	size_t i;

	fputs("{\"name\": ", stdout);
	json_str(dev->name);
	printf(", \"dma_owner\": %s, \"ioas\": ",
	       dev->dma_owner ? "true" : "false");
	json_num(dev->ioas);
	fputs(", \"table\": ", stdout);
	json_num(dev->table);
	fputs(", \"pasids\": [", stdout);
	for (i = 0; i < dev->nr_pasids; i++) {
		fputs(i ? ", {\"pasid\": " : "{\"pasid\": ", stdout);
		json_num(dev->pasids[i].pasid);
		fputs(", \"ioas\": ", stdout);
		json_num(dev->pasids[i].ioas);
		fputs(", \"table\": ", stdout);
		json_num(dev->pasids[i].table);
		putchar('}');
	}
	fputs("]}", stdout);
}

static void json_holder(const struct holder *h)
{
	size_t i;

	printf("  {\n    \"pid\": %d,\n    \"comm\": ", h->pid);
	json_str(h->comm);
	printf(",\n    \"fd\": %d,\n    \"context\": ", h->fd);
	json_num(h->ctx);
	fputs(",\n    \"accounting\": ", stdout);
	if (h->accounting)
		json_str(h->accounting);
	else
		fputs("null", stdout);
	printf(",\n    \"pinned_bytes\": %llu,\n    \"ioas\": [", h->pinned);
	for (i = 0; i < h->nr_ioas; i++) {
		fputs(i ? ",\n      " : "\n      ", stdout);
		json_ioas(h, &h->ioas[i]);
	}
	fputs(h->nr_ioas ? "\n    ],\n    \"devices\": [" : "],\n    \"devices\": [",
	      stdout);
	for (i = 0; i < h->nr_devs; i++) {
		fputs(i ? ",\n      " : "\n      ", stdout);
		json_device(&h->devs[i]);
	}
	fputs(h->nr_devs ? "\n    ]\n  }" : "]\n  }", stdout);
}

static void print_json(void)
{
	bool noted = false;
	size_t i;

	putchar('[');
	for (i = 0; i < nr_holders; i++) {
		fputs(i ? ",\n" : "\n", stdout);
		json_holder(&holders[i]);
		if (opt.maps && holders[i].maps_err && !noted) {
			fprintf(stderr, "ioasid-stat: mappings: %s (root, debugfs)\n",
				strerror(holders[i].maps_err));
			noted = true;
		}
	}
	fputs(nr_holders ? "\n]\n" : "]\n", stdout);
}

static void show_usage(FILE *out)
{
	fprintf(out,
		"usage: ioasid-stat [-m] [--json] [-p PID]...\n"
		"       ioasid-stat [-m] [--json] --parse FDINFO [--mappings FILE]\n"
		"Shows the processes that hold /dev/ioasid open: per IOASID what is\n"
		"mapped and pinned and which devices are attached to it.\n"
		"  -p PID           only this process (may be repeated)\n"
		"  -m               also the mappings of each fd, from debugfs (root)\n"
		"  --json           JSON on stdout instead of the table\n"
		"  --parse FDINFO   read a saved fdinfo file as pid 0's fd 0\n"
		"  --mappings FILE  with -m, read the mappings from FILE\n"
		"  -h, --help       this text\n");
}

static void parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "parse", required_argument, NULL, 'P' },
		{ "mappings", required_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "hmp:", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			show_usage(stdout);
			exit(0);
		case 'm':
			opt.maps = true;
			break;
		case 'p':
			*(int *)grow(&opt.pids, &opt.nr_pids, sizeof(int)) =
				to_int(optarg);
			if (opt.pids[opt.nr_pids - 1] > 0)
				break;
			fprintf(stderr, "ioasid-stat: not a PID: %s\n", optarg);
			exit(1);
		case 'j':
			opt.json = true;
			break;
		case 'P':
			opt.parse = optarg;
			break;
		case 'M':
			opt.maps_file = optarg;
			break;
		default:
			show_usage(stderr);
			exit(1);
		}
	}
	if (optind < argc) {
		show_usage(stderr);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	size_t i;
	int err;

	parse_args(argc, argv);
	if (opt.parse) {
		err = add_holder(0, 0, "-", opt.parse);
		if (err) {
			fprintf(stderr, "ioasid-stat: %s: %s\n", opt.parse,
				strerror(err));
			return 1;
		}
	} else if (opt.nr_pids) {
		for (i = 0; i < opt.nr_pids; i++)
			if (!scan_pid(opt.pids[i]))
				unreadable++;
	} else {
		scan_all();
	}
	if (nr_holders)
		qsort(holders, nr_holders, sizeof(*holders), by_pid_fd);
	for (i = 0; opt.maps && i < nr_holders; i++)
		read_mappings(&holders[i]);

	if (opt.json)
		print_json();
	else if (!nr_holders)
		printf("no process has %s open\n", DEVICE_PATH);
	else
		print_table();
	if (unreadable)
		fprintf(stderr, "ioasid-stat: %u process%s not readable (permission denied)%s\n",
			unreadable, unreadable == 1 ? " was" : "es were",
			geteuid() ? "; root may see more" : "");
	return 0;
}
