// SPDX-License-Identifier: GPL-2.0-only
/*
 * ioasid-bench: the workloads: bulk map and unmap of one large buffer by
 * backing, and attach and detach (bench-scale.c has those among many live
 * mappings).  Each runs every selected path in turn, repetition by
 * repetition, and adds its samples to figures.
 */
#include "bench.h"
#include "ftrace-profile.h"

bool selected(enum test_id t, enum path_id p)
{
	return (cfg.tests & (1U << t)) && (cfg.paths & (1U << p));
}

/*
 * The @i-th path of round @r.  The order rotates from round to round, and
 * runs backwards every other round, so that no path always follows the
 * same one and of any two each goes first in a round of two: what a path
 * leaves behind in the emulator, an IOMMU with work still queued or idle
 * for a while, changes how long the next one takes.
 */
enum path_id turn(unsigned int r, unsigned int i)
{
	if (r % 2)
		i = NR_PATHS - 1 - i;
	return (r + i) % NR_PATHS;
}

/*
 * Opens @p for a repetition, attached when @attach, unless @o says that
 * an earlier one failed or skipped; says why in @o when it cannot.
 */
bool start_rep(struct session *s, enum path_id p, struct outcome *o,
	       bool attach)
{
	int ret;

	if (o->fail || o->skip)
		return false;
	if (unavailable[p][0]) {
		skip_because(o, unavailable[p]);
		return false;
	}
	ret = session_open(s, p, attach);
	if (ret)
		fail_at(o, s->step, ret);
	return !ret;
}

/*
 * Waits for what the last session freed after an RCU grace period, before
 * a kernel memory baseline; smoke runs, which only show that the
 * workloads work, wait a tenth as long.
 */
void settle(void)
{
	usleep(cfg.smoke ? SETTLE_US / 10 : SETTLE_US);
}

/* Writes each page, so that it is present and private before pinning. */
static void touch(void *buf, size_t len)
{
	size_t off;

	for (off = 0; off < len; off += page_size)
		((char *)buf)[off] = 1;
}

int buffer_alloc(struct buffer *b, enum backing kind, size_t len)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS;

	b->len = len;
	b->map_len = kind == BACK_THP ? len + SZ_2M : len;
	if (kind == BACK_HUGETLB)
		flags |= MAP_HUGETLB;
	b->map = mmap(NULL, b->map_len, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (b->map == MAP_FAILED) {
		b->map = NULL;
		return errno;
	}
	b->buf = b->map;
	if (kind == BACK_THP) {
		b->buf = (void *)(((uintptr_t)b->map + SZ_2M - 1) &
				  ~(uintptr_t)(SZ_2M - 1));
		madvise(b->buf, len, MADV_HUGEPAGE);
	} else if (kind == BACK_4K) {
		madvise(b->buf, len, MADV_NOHUGEPAGE);
		return touch_shuffled(b->buf, len / page_size, page_size,
				      rnd());
	}
	touch(b->buf, len);
	return 0;
}

void buffer_free(struct buffer *b)
{
	if (b->map)
		munmap(b->map, b->map_len);
	b->map = NULL;
}

struct bulk {
	enum backing kind;
	enum test_id test;
	struct buffer buf;
	struct figure *times[2];	/* map, unmap */
	struct figure *kmem[5];	/* with 4 KiB pages only */
	unsigned int nr_kmem;
};

/*
 * The kernel memory of the counters that can grow with mappings: slab
 * (and large kmalloc()s, which it counts), IOMMU and CPU page tables and
 * vmalloc, in bytes.  MemFree would be a catch-all, but pages cached per
 * CPU hide megabytes from it.
 */
void kmem_deltas(const struct meminfo *before, const struct meminfo *after,
		 long d[4])
{
	d[0] = (after->slab - before->slab) * 1024;
	d[1] = (after->sec_pagetables - before->sec_pagetables) * 1024;
	d[2] = (after->vmalloc_used - before->vmalloc_used) * 1024;
	d[3] = (after->pagetables - before->pagetables) * 1024;
}

/* Bytes of each counter per mapped page, and of their sum. */
static void add_kmem(struct bulk *b, enum path_id p,
		     const struct meminfo *before, const struct meminfo *after)
{
	double pages = (double)b->buf.len / page_size;
	long d[4], sum = 0;
	unsigned int i;

	kmem_deltas(before, after, d);
	for (i = 0; i < ARRAY_SIZE(d); i++) {
		add_sample(b->kmem[i], p, d[i] / pages);
		sum += d[i];
	}
	add_sample(b->kmem[4], p, sum / pages);
}

/* The profiler runs around a timed call only when -P asked for it. */
void profile_begin(void)
{
	if (cfg.profile)
		profile_start();
}

void profile_end(const char *figure, const char *path)
{
	char prefix[96];

	if (!cfg.profile)
		return;
	snprintf(prefix, sizeof(prefix), "bench: profile %s %s", figure, path);
	profile_stop(prefix);
}

static void bulk_rep(struct bulk *b, struct session *s, uint64_t iova,
		     struct outcome *o)
{
	const struct path_ops *ops = &path_ops[s->path];
	struct meminfo before, after;
	uint64_t t0, t1, t2;
	int ret;

	/*
	 * The last path's teardown frees xarray nodes after an RCU grace
	 * period: let that happen before the baseline, not during the map.
	 */
	if (b->nr_kmem)
		settle();
	read_meminfo(&before);
	profile_begin();
	t0 = now_ns();
	ret = ops->map(s, b->buf.buf, b->buf.len, iova);
	t1 = now_ns();
	profile_end(b->times[0]->name, ops->name);
	if (ret) {
		fail_at(o, ops->map_name, ret);
		return;
	}
	read_meminfo(&after);
	profile_begin();
	t2 = now_ns();
	ret = ops->unmap(s, iova, b->buf.len);
	profile_end(b->times[1]->name, ops->name);
	if (ret) {
		fail_at(o, ops->unmap_name, ret);
		return;
	}
	add_sample(b->times[0], s->path, (t1 - t0) / 1e6);
	add_sample(b->times[1], s->path, (now_ns() - t2) / 1e6);
	if (b->nr_kmem)
		add_kmem(b, s->path, &before, &after);
}

/*
 * The floor times both halves in one call.  It keeps nothing: the kernel
 * memory figures are not its.  A profile covers both halves.
 */
static void bulk_floor_rep(struct bulk *b, struct session *s, uint64_t iova,
			   struct outcome *o)
{
	const struct path_ops *ops = &path_ops[s->path];
	uint64_t map_ns, unmap_ns;
	int ret;

	profile_begin();
	ret = ops->map_unmap(s, b->buf.buf, b->buf.len, iova, &map_ns,
			     &unmap_ns);
	profile_end(b->times[0]->name, "floor (map and unmap)");
	if (ret) {
		fail_at(o, s->step, ret);
		return;
	}
	add_sample(b->times[0], s->path, map_ns / 1e6);
	add_sample(b->times[1], s->path, unmap_ns / 1e6);
}

/* One repetition on one path, in a session of its own. */
static void bulk_once(struct bulk *b, enum path_id p, struct outcome *o)
{
	struct session s;
	uint64_t iova = 0;

	if (!start_rep(&s, p, o, true))
		return;
	/* The same alignment everywhere: the same IOMMU page sizes. */
	if (!pick_iova(&s, b->buf.len, SZ_1G, &iova))
		skip_because(o, "no usable IOVA window that large");
	else if (path_ops[p].map_unmap)
		bulk_floor_rep(b, &s, iova, o);
	else
		bulk_rep(b, &s, iova, o);
	session_close(&s);
}

static void note_smaller(const char *kind_name, uint64_t len, uint64_t asked,
			 const char *why)
{
	char text[200], from[16], to[16];

	snprintf(text, sizeof(text), "%s buffer: %s, not %s, to stay within %s",
		 kind_name, size_text(len, to, sizeof(to)),
		 size_text(asked, from, sizeof(from)), why);
	add_note(text);
}

/* A map and an unmap of @len bytes at @iova, as the bulk workloads do. */
static int map_and_unmap(struct session *s, void *va, uint64_t len,
			 uint64_t iova)
{
	const struct path_ops *ops = &path_ops[s->path];
	uint64_t map_ns, unmap_ns;
	int ret;

	if (ops->map_unmap)
		return ops->map_unmap(s, va, len, iova, &map_ns, &unmap_ns);
	ret = ops->map(s, va, len, iova);
	return ret ? ret : ops->unmap(s, iova, len);
}

/* Seconds a map and unmap of @len bytes take on @p, or 0 if they fail. */
static double bulk_probe(struct bulk *b, enum path_id p, size_t len)
{
	struct session s;
	uint64_t iova, t0;
	double took = 0;

	if (session_open(&s, p, true))
		return 0;
	t0 = now_ns();
	if (pick_iova(&s, len, SZ_1G, &iova) &&
	    !map_and_unmap(&s, b->buf.buf, len, iova))
		took = (now_ns() - t0) / 1e9;
	session_close(&s);
	return took;
}

/*
 * The buffer size for the figures: the configured one, halved until the
 * slowest path would do its repetitions within the time budget, as
 * timed on a sixteenth of it.  Emulated IOMMUs can be slow.
 */
static size_t bulk_fit(struct bulk *b, const struct outcome *o,
		       const char *kind_name)
{
	size_t probe = b->buf.len / 16 & ~(SZ_2M - 1), len = b->buf.len;
	double per_byte = 0, t;
	char why[64];
	enum path_id p;

	if (!probe)
		return len;
	for (p = 0; p < NR_PATHS; p++) {
		if (!selected(b->test, p) || unavailable[p][0] || o[p].skip)
			continue;
		t = bulk_probe(b, p, probe) / probe;
		per_byte = t > per_byte ? t : per_byte;
	}
	while (len > probe && per_byte * len * cfg.reps > cfg.budget_s)
		len /= 2;
	if (len < b->buf.len) {
		snprintf(why, sizeof(why), "the %u s budget of each path (-t)",
			 cfg.budget_s);
		note_smaller(kind_name, len, b->buf.len, why);
	}
	return len;
}

/*
 * The vhost IOTLB takes an entry per physically contiguous run of pages,
 * and holds max_iotlb_entries: scattered 4 KiB pages are a run each, huge
 * pages at most one each.  An update past that fails.
 */
static void iotlb_fit(struct outcome *o, enum backing kind, uint64_t len)
{
	uint64_t runs = len / (kind == BACK_4K ? page_size : SZ_2M);
	char why[200];

	if (runs <= (uint64_t)vdpa.iotlb_limit)
		return;
	snprintf(why, sizeof(why),
		 "up to %llu runs of pages, over the %ld vhost IOTLB entries (vhost_vdpa.max_iotlb_entries)",
		 (unsigned long long)runs, vdpa.iotlb_limit);
	skip_because(o, why);
}

/* IOASID_TEST_FLOOR takes at most FLOOR_MAX_BYTES in one call. */
static void floor_fit(struct outcome *o, uint64_t len)
{
	if (len > FLOOR_MAX_BYTES)
		skip_because(o, "past the 1 GiB one IOASID_TEST_FLOOR takes");
}

static void bulk_figures(struct bulk *b, const char *kind_name)
{
	static const char *const kmem_names[] = {
		"kmem Slab", "kmem SecPageTables", "kmem VmallocUsed",
		"kmem PageTables", "kmem sum",
	};
	char name[48], size[16];
	unsigned int i;

	size_text(b->buf.len, size, sizeof(size));
	snprintf(name, sizeof(name), "map %s %s", kind_name, size);
	b->times[0] = new_figure(name, "ms");
	snprintf(name, sizeof(name), "unmap %s %s", kind_name, size);
	b->times[1] = new_figure(name, "ms");
	if (b->kind != BACK_4K)
		return;
	b->nr_kmem = ARRAY_SIZE(kmem_names);
	for (i = 0; i < b->nr_kmem; i++)
		b->kmem[i] = new_figure(kmem_names[i], "B/page");
}

/* Says how much of a THP buffer the kernel gave huge pages. */
static void note_thp(long before_kb, size_t len)
{
	struct meminfo m;
	char text[128];

	read_meminfo(&m);
	snprintf(text, sizeof(text),
		 "thp buffer: %ld of %zu MiB in huge pages once touched",
		 (m.anon_huge - before_kb) / 1024, len >> 20);
	add_note(text);
}

void run_bulk(enum backing kind)
{
	static const char *const kind_names[] = {
		[BACK_THP] = "thp", [BACK_HUGETLB] = "hugetlb", [BACK_4K] = "4k",
	};
	static const enum test_id tests[] = {
		[BACK_THP] = T_MAP_THP, [BACK_HUGETLB] = T_MAP_HUGETLB,
		[BACK_4K] = T_MAP_4K,
	};
	struct bulk b = { .kind = kind, .test = tests[kind] };
	struct outcome o[NR_PATHS] = {};
	const char *no_buffer = NULL;
	struct meminfo m;
	enum path_id p;
	unsigned int r, i;
	uint64_t len;
	int ret;

	if (!(cfg.tests & (1U << b.test)))
		return;
	read_meminfo(&m);
	len = cfg.bulk_bytes;
	/* Half the available memory at most; hugetlb pages are apart. */
	while (kind != BACK_HUGETLB && len > SZ_2M &&
	       len > (uint64_t)m.available * 1024 / 2)
		len /= 2;
	if (len < cfg.bulk_bytes)
		note_smaller(kind_names[kind], len, cfg.bulk_bytes,
			     "half the available memory");
	ret = buffer_alloc(&b.buf, kind, len);
	if (ret && kind == BACK_HUGETLB)
		no_buffer = "no free 2 MiB hugetlb pages (boot with hugepages=N)";
	else if (ret)
		no_buffer = "cannot allocate the buffer";
	else if (kind == BACK_THP)
		note_thp(m.anon_huge, len);
	for (p = 0; no_buffer && p < NR_PATHS; p++)
		skip_because(&o[p], no_buffer);
	if (!no_buffer)
		iotlb_fit(&o[VDPA_IOTLB], kind, len);
	b.buf.len = len;
	if (!no_buffer && cfg.budget_s)
		b.buf.len = bulk_fit(&b, o, kind_names[kind]);
	if (!no_buffer)
		floor_fit(&o[FLOOR], b.buf.len);
	bulk_figures(&b, kind_names[kind]);
	/* Paths take turns, so that whatever else runs hits them alike. */
	for (r = 0; r < cfg.reps; r++) {
		for (i = 0; i < NR_PATHS; i++) {
			p = turn(r, i);
			if (selected(b.test, p))
				bulk_once(&b, p, &o[p]);
		}
	}
	for (p = 0; p < NR_PATHS; p++) {
		if (!selected(b.test, p))
			continue;
		report(b.test, p, &o[p]);
		emit_figures(b.times, ARRAY_SIZE(b.times), p);
		emit_figures(b.kmem, b.nr_kmem, p);
	}
	buffer_free(&b.buf);
}

/* Workload 4: attach and detach, empty and then with mappings */

struct attach {
	struct buffer buf;
	struct figure *figs[4];	/* attach, detach, and with mappings */
};

static int attach_rep(struct session *s, struct figure *attach_fig,
		      struct figure *detach_fig)
{
	const struct path_ops *ops = &path_ops[s->path];
	uint64_t t0, t1;
	int ret;

	profile_begin();
	t0 = now_ns();
	ret = ops->attach(s);
	t1 = now_ns();
	profile_end(attach_fig->name, ops->name);
	if (ret)
		return ret;
	profile_begin();
	ret = ops->detach(s);
	profile_end(detach_fig->name, ops->name);
	if (ret)
		return ret;
	add_sample(attach_fig, s->path, (t1 - t0) / 1e3);
	add_sample(detach_fig, s->path, (now_ns() - t1) / 1e3);
	return 0;
}

/* Maps the buffer while attached, to learn the usable IOVAs, then detaches. */
static int populate(struct attach *a, struct session *s)
{
	const struct path_ops *ops = &path_ops[s->path];
	uint64_t iova;
	int ret;

	ret = ops->attach(s);
	if (!ret)
		ret = ops->ranges(s);
	if (ret)
		return ret;
	s->step = "finding an IOVA window";
	ret = pick_iova(s, a->buf.len, SZ_2M, &iova) ? 0 : ERANGE;
	if (ret)
		return ret;
	s->step = ops->map_name;
	ret = ops->map(s, a->buf.buf, a->buf.len, iova);
	return ret ? ret : ops->detach(s);
}

/* One repetition on one path, in a session of its own. */
static void attach_once(struct attach *a, enum path_id p, struct outcome *o)
{
	struct session s;
	int ret;

	if (!start_rep(&s, p, o, false))
		return;
	ret = attach_rep(&s, a->figs[0], a->figs[1]);
	/* type1 frees the mappings with the container's last group. */
	if (!ret && p != TYPE1 && a->buf.map)
		ret = populate(a, &s);
	if (!ret && p != TYPE1 && a->buf.map)
		ret = attach_rep(&s, a->figs[2], a->figs[3]);
	if (ret)
		fail_at(o, s.step, ret);
	session_close(&s);
}

/*
 * Under virtio-iommu an empty attach or detach is one request to the
 * device, which QEMU handles within the guest's notify of the queue, the
 * same request on every path: the profile (PROFILE_TESTS=attach) has most
 * of the row there, so the row says what QEMU takes, not what a path does.
 */
static void mark_qemu_decided(struct attach *a)
{
	if (read_target() != TARGET_VIRTIO)
		return;
	a->figs[0]->mark = "[QEMU]";
	a->figs[1]->mark = "[QEMU]";
	add_note("[QEMU]: the same virtio-iommu request on every path; QEMU decides");
}

void run_attach(void)
{
	struct outcome o[NR_PATHS] = {};
	struct attach a = {};
	char name[48], count[24];
	enum path_id p;
	unsigned int r, i;

	if (!(cfg.tests & (1U << T_ATTACH)))
		return;
	a.figs[0] = new_figure("attach", "us");
	a.figs[1] = new_figure("detach", "us");
	count_text(cfg.attach_pages, count, sizeof(count));
	snprintf(name, sizeof(name), "attach %s 4k mapped", count);
	a.figs[2] = new_figure(name, "us");
	snprintf(name, sizeof(name), "detach %s 4k mapped", count);
	a.figs[3] = new_figure(name, "us");
	mark_qemu_decided(&a);
	if (buffer_alloc(&a.buf, BACK_4K, cfg.attach_pages * page_size))
		printf("# cannot allocate %lu pages\n", cfg.attach_pages);
	for (p = 0; p < NR_PATHS; p++)
		if (path_ops[p].no_attach)
			skip_because(&o[p], path_ops[p].no_attach);
	for (r = 0; r < cfg.reps; r++) {
		for (i = 0; i < NR_PATHS; i++) {
			p = turn(r, i);
			if (selected(T_ATTACH, p))
				attach_once(&a, p, &o[p]);
		}
	}
	for (p = 0; p < NR_PATHS; p++) {
		if (!selected(T_ATTACH, p))
			continue;
		report(T_ATTACH, p, &o[p]);
		emit_figures(a.figs, ARRAY_SIZE(a.figs), p);
	}
	buffer_free(&a.buf);
}
