// SPDX-License-Identifier: GPL-2.0-only
/*
 * ioasid-bench: a VMM's start-up, "time to DMA-ready".  From an empty
 * IOASID, IOAS or container with edu bound, as a VMM has it when its
 * memory listener starts: attach edu, map the guest's RAM region by
 * region, then edu's first DMA into guest RAM, whose data is checked.
 *
 * The order is the one a VMM such as QEMU keeps: the device is attached
 * (type1: the group put in the container and the IOMMU set) when it is
 * realized, and only then does the listener, registered on the address
 * space, replay the RAM sections into it, lowest address first.
 *
 * The RAM is one buffer, THP or hugetlbfs backed and faulted in before,
 * as with -mem-prealloc, so that only the IOMMU side is timed.  Its
 * layout is that of a q35 guest started with max-ram-below-4g at half its
 * RAM: the first 640 KiB, a hole for the VGA window and the BIOS, low RAM
 * from 1 MiB, then the PCI hole and high RAM from 4 GiB.  IOVAs are guest
 * physical addresses; whatever an IOMMU reserves (SMMUv3's MSI window at
 * 128 MiB) is left out of the regions on every path alike.
 *
 * edu masks DMA addresses to 28 bits: the DMA goes to the start of low
 * RAM, below 256 MiB.  QEMU starts an edu transfer 100 ms of virtual time
 * after it is asked for: "first DMA" is mostly that, the same on every
 * path, and the rows give attach and maps on their own too.  edu's buffer
 * is filled once beforehand, from RAM; each repetition clears its target
 * and finds that data there after the DMA.
 */
#include "bench.h"

#define EDU_DMA_LIMIT	(256 * SZ_1M)
/* Conventional memory ends here; the VGA window and the BIOS follow. */
#define LOW_END_ISA	0xa0000ULL
#define HIGH_BASE	(4ULL * SZ_1G)
#define MAX_REGIONS	16
/* Fine enough for a transfer of about 100 ms. */
#define VMM_POLL_US	50

struct vmm_region {
	uint64_t gpa;		/* the IOVA too */
	uint64_t len;
	uint64_t off;		/* in the RAM buffer */
};

struct vmm {
	enum backing kind;
	struct buffer ram;
	struct vmm_region regions[MAX_REGIONS];
	unsigned int nr_regions;
	uint64_t dma_iova;
	uint8_t *dma_va;	/* the RAM at dma_iova */
	uint8_t pattern[DMA_LEN];
	/* DMA-ready, and its two parts: attach and maps, the DMA */
	struct figure *figs[3];
};

/* The regions a q35 guest of @size bytes has, low RAM half of them. */
static void vmm_layout(struct vmm *v, uint64_t size)
{
	uint64_t low = size / 2 & ~(SZ_2M - 1);

	v->regions[0] = (struct vmm_region){ 0, LOW_END_ISA, 0 };
	v->regions[1] = (struct vmm_region){ SZ_1M, low - SZ_1M, SZ_1M };
	v->regions[2] = (struct vmm_region){ HIGH_BASE, size - low, low };
	v->nr_regions = 3;
}

/* Keeps of the regions what @s may map, in the same order. */
static void clip_layout(struct vmm *v, const struct session *s)
{
	struct vmm_region out[MAX_REGIONS];
	unsigned int i, j, n = 0;

	for (i = 0; i < v->nr_regions; i++) {
		const struct vmm_region *r = &v->regions[i];
		uint64_t last = r->gpa + r->len - 1;

		for (j = 0; j < s->nr_ranges && n < MAX_REGIONS; j++) {
			uint64_t lo = r->gpa > s->ranges[j].start ?
				      r->gpa : s->ranges[j].start;
			uint64_t hi = last < s->ranges[j].last ?
				      last : s->ranges[j].last;

			if (lo <= hi)
				out[n++] = (struct vmm_region){
					lo, hi - lo + 1, r->off + lo - r->gpa };
		}
	}
	memcpy(v->regions, out, n * sizeof(out[0]));
	v->nr_regions = n;
}

/* The start of low RAM from 1 MiB, if edu can reach it. */
static bool pick_target(struct vmm *v)
{
	unsigned int i;

	for (i = 0; i < v->nr_regions; i++) {
		const struct vmm_region *r = &v->regions[i];

		if (r->gpa < SZ_1M || r->len < DMA_LEN ||
		    r->gpa + DMA_LEN > EDU_DMA_LIMIT)
			continue;
		v->dma_iova = r->gpa;
		v->dma_va = (uint8_t *)v->ram.buf + r->off;
		return true;
	}
	return false;
}

/* Puts the pattern in edu's buffer, from a page mapped in @s. */
static int fill_edu(struct vmm *v, struct session *s)
{
	const struct path_ops *ops = &path_ops[s->path];
	int dev_fd = -1, ret;
	struct edu e;
	uint64_t iova;
	void *page;

	s->step = "finding an IOVA below 256 MiB";
	if (!pick_iova(s, page_size, page_size, &iova) ||
	    iova + DMA_LEN > EDU_DMA_LIMIT)
		return ERANGE;
	page = mmap(NULL, page_size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return errno;
	memcpy(page, v->pattern, DMA_LEN);
	s->step = ops->map_name;
	ret = ops->map(s, page, page_size, iova);
	if (!ret)
		ret = edu_device_fd(s, &dev_fd);
	if (!ret) {
		s->step = "edu's DMA from RAM";
		ret = edu_open(&e, dev_fd);
	}
	if (!ret)
		ret = edu_from_ram(&e, iova);
	if (dev_fd >= 0)
		close(dev_fd);
	if (!ret) {
		s->step = ops->unmap_name;
		ret = ops->unmap(s, iova, page_size);
	}
	munmap(page, page_size);
	return ret;
}

/*
 * Opens each path attached, outside the timing: the regions lose what
 * any of them reserves, and the first fills edu's buffer.
 */
static void vmm_prepare(struct vmm *v, struct outcome *o)
{
	bool filled = false;
	struct session s;
	enum path_id p;
	int ret;

	for (p = 0; p < NR_PATHS; p++) {
		if (!selected(T_VMM_START, p) || !start_rep(&s, p, &o[p], true))
			continue;
		clip_layout(v, &s);
		ret = filled ? 0 : fill_edu(v, &s);
		if (ret)
			fail_at(&o[p], s.step, ret);
		filled = filled || !ret;
		session_close(&s);
	}
}

static int map_regions(struct vmm *v, struct session *s)
{
	const struct path_ops *ops = &path_ops[s->path];
	unsigned int i;
	int ret;

	s->step = ops->map_name;
	for (i = 0; i < v->nr_regions; i++) {
		const struct vmm_region *r = &v->regions[i];

		ret = ops->map(s, (char *)v->ram.buf + r->off, r->len, r->gpa);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * edu's buffer out to @iova, polled more finely than edu_to_ram() does:
 * its time is part of the figure.
 */
static int dma_to_ram(struct session *s, const struct edu *e, uint64_t iova)
{
	const uint64_t regs[][2] = {
		{ EDU_DMA_SRC, EDU_BUF },
		{ EDU_DMA_DST, iova },
		{ EDU_DMA_CNT, DMA_LEN },
		{ EDU_DMA_CMD, EDU_CMD_START | EDU_CMD_TO_RAM },
	};
	uint64_t start = now_ns(), cmd = EDU_CMD_START;
	unsigned int i;
	int ret = 0;

	s->step = "edu's DMA to RAM";
	for (i = 0; !ret && i < ARRAY_SIZE(regs); i++)
		ret = edu_write(e, regs[i][0], regs[i][1]);
	while (!ret && (cmd & EDU_CMD_START)) {
		if (now_ns() - start > DMA_TIMEOUT_MS * 1000000ULL)
			return ETIMEDOUT;
		usleep(VMM_POLL_US);
		ret = edu_read(e, EDU_DMA_CMD, &cmd, sizeof(cmd));
	}
	return ret;
}

/*
 * The timed part of a session opened unattached.  Getting a device fd
 * and turning on edu's bus mastering are left out: type1 gives its
 * device fd only now, the cdev paths had theirs before.
 */
static void vmm_rep(struct vmm *v, struct session *s, struct outcome *o)
{
	uint64_t t0, t1, t2, t3;
	int dev_fd = -1, ret;
	struct edu e;

	memset(v->dma_va, 0, DMA_LEN);
	t0 = now_ns();
	ret = path_ops[s->path].attach(s);
	if (!ret)
		ret = map_regions(v, s);
	t1 = now_ns();
	if (!ret)
		ret = edu_device_fd(s, &dev_fd);
	if (!ret) {
		s->step = "enabling edu's DMA";
		ret = edu_open(&e, dev_fd);
	}
	t2 = now_ns();
	if (!ret)
		ret = dma_to_ram(s, &e, v->dma_iova);
	t3 = now_ns();
	if (!ret && memcmp(v->dma_va, v->pattern, DMA_LEN)) {
		s->step = "checking what the DMA wrote";
		ret = EIO;
	}
	if (dev_fd >= 0)
		close(dev_fd);
	if (ret) {
		fail_at(o, s->step, ret);
		return;
	}
	add_sample(v->figs[0], s->path, (t1 - t0 + t3 - t2) / 1e6);
	add_sample(v->figs[1], s->path, (t1 - t0) / 1e6);
	add_sample(v->figs[2], s->path, (t3 - t2) / 1e6);
}

static void vmm_once(struct vmm *v, enum path_id p, struct outcome *o)
{
	struct session s;

	if (!start_rep(&s, p, o, false))
		return;
	vmm_rep(v, &s, o);
	/* Unmapping and unpinning the guest is not timed. */
	session_close(&s);
}

/* Only the edu paths drive a DMA; why each other one cannot. */
static const char *no_dma(enum path_id p)
{
	if (path_ops[p].mock)
		return "the mock IOMMU has no device that does DMA";
	if (path_ops[p].vdpa)
		return "edu's DMA is what it times; this path has no edu";
	if (p == FLOOR)
		return "only map and unmap; the rest is ours'";
	return NULL;
}

static void vmm_figures(struct vmm *v, const char *kind_name, uint64_t size)
{
	static const char *const what[] = {
		"DMA-ready", "attach+maps", "first DMA",
	};
	char name[48], text[16];
	unsigned int i;

	size_text(size, text, sizeof(text));
	for (i = 0; i < ARRAY_SIZE(what); i++) {
		snprintf(name, sizeof(name), "vmm %s %s %s", what[i],
			 kind_name, text);
		v->figs[i] = new_figure(name, "ms");
	}
}

/* The guest's RAM, or why there is none: a skip for every path. */
static const char *vmm_alloc(struct vmm *v, uint64_t size,
			     const char *kind_name)
{
	struct meminfo before, after;
	char text[200];

	read_meminfo(&before);
	/* A guest that leaves the bench too little to run is not started. */
	if (v->kind != BACK_HUGETLB &&
	    size > (uint64_t)before.available * 1024 / 4 * 3)
		return "its RAM is over 3/4 of the available memory";
	if (buffer_alloc(&v->ram, v->kind, size) && v->kind == BACK_HUGETLB)
		return "too few free 2 MiB hugetlb pages (boot with hugepages=N)";
	if (!v->ram.map)
		return "cannot allocate its RAM";
	if (v->kind != BACK_THP)
		return NULL;
	read_meminfo(&after);
	snprintf(text, sizeof(text),
		 "vmm %s: %ld of %llu MiB of guest RAM in huge pages",
		 kind_name, (after.anon_huge - before.anon_huge) / 1024,
		 (unsigned long long)(size >> 20));
	add_note(text);
	return NULL;
}

/* Says once what was mapped where, which the IOMMU's reservations shape. */
static void note_layout(const struct vmm *v)
{
	static bool told;
	char text[200];
	unsigned int i;
	int used;

	if (told)
		return;
	told = true;
	used = snprintf(text, sizeof(text), "vmm regions (IOVA = GPA):");
	for (i = 0; i < v->nr_regions && used < (int)sizeof(text); i++)
		used += snprintf(text + used, sizeof(text) - used,
				 " [%#llx, %#llx)",
				 (unsigned long long)v->regions[i].gpa,
				 (unsigned long long)(v->regions[i].gpa +
						      v->regions[i].len));
	if (used < (int)sizeof(text))
		snprintf(text + used, sizeof(text) - used, ", DMA to %#llx",
			 (unsigned long long)v->dma_iova);
	add_note(text);
}

/* Skips every path that has not failed or skipped already. */
static void skip_all(struct outcome *o, const char *why)
{
	enum path_id p;

	for (p = 0; p < NR_PATHS; p++)
		if (!o[p].fail && !o[p].skip)
			skip_because(&o[p], why);
}

static void run_vmm(enum backing kind, const char *kind_name,
		    struct outcome *o)
{
	struct vmm v = { .kind = kind };
	const char *why;
	unsigned int r, i;
	enum path_id p;

	vmm_figures(&v, kind_name, cfg.vmm_bytes);
	vmm_layout(&v, cfg.vmm_bytes);
	for (p = 0; p < NR_PATHS; p++)
		if (no_dma(p))
			skip_because(&o[p], no_dma(p));
	why = vmm_alloc(&v, cfg.vmm_bytes, kind_name);
	if (why)
		skip_all(o, why);
	for (i = 0; i < DMA_LEN; i++)
		v.pattern[i] = rnd() % 255 + 1;
	if (!why)
		vmm_prepare(&v, o);
	if (!why && !pick_target(&v))
		skip_all(o, "no guest RAM below edu's 256 MiB DMA limit");
	else if (!why)
		note_layout(&v);
	for (r = 0; r < cfg.reps; r++) {
		for (i = 0; i < NR_PATHS; i++) {
			p = turn(r, i);
			if (selected(T_VMM_START, p))
				vmm_once(&v, p, &o[p]);
		}
	}
	buffer_free(&v.ram);
}

/*
 * One TAP result per path for both backings: failed if either failed,
 * skipped if both did; a backing that skipped alone says so in a note.
 */
static void vmm_report(enum path_id p, struct outcome *o)
{
	static const char *const kinds[] = { "thp", "hugetlb" };
	struct outcome sum = {};
	char text[200];
	unsigned int k;

	for (k = 0; k < 2; k++) {
		if (o[k].fail && !sum.fail)
			snprintf(sum.why, sizeof(sum.why), "%s: %.180s",
				 kinds[k], o[k].why);
		sum.fail |= o[k].fail;
	}
	if (!sum.fail && o[0].skip && o[1].skip)
		skip_because(&sum, o[0].why);
	for (k = 0; !sum.fail && !sum.skip && k < 2; k++) {
		if (!o[k].skip)
			continue;
		snprintf(text, sizeof(text), "vmm %s %s: skipped: %.150s",
			 kinds[k], path_ops[p].name, o[k].why);
		add_note(text);
	}
	report(T_VMM_START, p, &sum);
}

/* One backing after the other, each guest freed before the next. */
void run_vmm_start(void)
{
	struct outcome o[2][NR_PATHS] = {};
	unsigned int first = nr_figures, i;
	struct outcome both[2];
	enum path_id p;

	if (!(cfg.tests & (1U << T_VMM_START)))
		return;
	run_vmm(BACK_THP, "thp", o[0]);
	run_vmm(BACK_HUGETLB, "hugetlb", o[1]);
	for (p = 0; p < NR_PATHS; p++) {
		if (!selected(T_VMM_START, p))
			continue;
		both[0] = o[0][p];
		both[1] = o[1][p];
		vmm_report(p, both);
		for (i = first; i < nr_figures; i++)
			emit_data(&figures[i], p);
	}
}
