// SPDX-License-Identifier: GPL-2.0-only
/*
 * ioasid-bench: workload 5, reading and clearing the dirty state of a
 * bulk mapping, as a VMM does in each round of a live migration.  QEMU's
 * IOMMUs track no dirty pages, so only the two mock IOMMUs run it: ours
 * (IOASID_OPTION_DIRTY_TRACKING, IOASID_DIRTY_READ) against iommufd's
 * (a HWPT allocated with dirty tracking, IOMMU_HWPT_GET_DIRTY_BITMAP).
 *
 * Each repetition maps the bulk buffer into a fresh session with tracking
 * on, dirties every page or 1% of them, and times one read of the whole
 * range into a bitmap of 4 KiB pages, which clears it.  The 1% come in
 * runs of DIRTY_RUN pages, one run every DIRTY_PERIOD pages: each run is
 * one DMA of our mock device, where one page in a hundred would be
 * thousands, which take minutes under TCG.  The
 * small-IOPTE rows keep the IOMMUs to their smallest pages (ours 4 KiB,
 * iommufd's mock 2 KiB); the huge ones let them use their largest (ours
 * 2 MiB, iommufd's mock 1 MiB), where one dirty page makes the whole IOPTE
 * dirty.  A read that misses a dirtied page, or reports another one
 * where every IOPTE is one page, fails the path.
 */
#include "bench.h"

#define DIRTY_RUN	16
#define DIRTY_PERIOD	1600
#define BITS_PER_WORD	64

static const char *const dirty_why_not =
	"QEMU 7.2's IOMMUs track no dirty pages: the mock IOMMUs only";

struct dirty {
	void *map;		/* what to munmap() */
	void *buf;		/* @len bytes of THP, 2 MiB aligned */
	uint64_t len;
	uint64_t *bitmap;	/* what a read returns, a bit per page */
	size_t bitmap_bytes;
	struct figure *figs[2][2];	/* [huge][all dirty] */
};

static bool dirtied(uint64_t page_index, bool all)
{
	return all || page_index % DIRTY_PERIOD < DIRTY_RUN;
}

/* Ours: a mock device attached to the IOASID, which tracks. */
static int ours_dirty_setup(struct session *s, bool huge)
{
	struct ioasid_option opt = {
		.size = sizeof(opt),
		.op = IOASID_OPTION_SET,
		.option = IOASID_OPTION_DIRTY_TRACKING,
		.object_id = s->as_id,
		.value = 1,
	};
	struct ioasid_test cmd = {};
	int ret;

	s->step = "IOASID_TEST_MOCK_DEVICE";
	ret = huge ? do_mock_device(s->fd, &cmd, &s->dev_id) :
		     mock_device_small_pages(s->fd, page_size, &s->dev_id);
	if (ret)
		return ret;
	s->step = "IOASID_TEST_ATTACH";
	ret = mock_attach(s->fd, s->dev_id, s->as_id);
	if (ret)
		return ret;
	s->step = "IOASID_OPTION_DIRTY_TRACKING";
	return do_option(s->fd, &opt);
}

/* The mock device writes every page it dirties, a run at a time. */
static int ours_dirty_pages(struct session *s, struct dirty *d,
			    uint64_t iova, bool all)
{
	uint64_t i, n, pages = d->len / page_size;
	int ret;

	s->step = "IOASID_TEST_DMA";
	if (all)
		return do_dma(s->fd, s->dev_id, 0, iova, d->buf, d->len, 1,
			      NULL);
	for (i = 0; i < pages; i += DIRTY_PERIOD) {
		n = pages - i < DIRTY_RUN ? pages - i : DIRTY_RUN;
		ret = do_dma(s->fd, s->dev_id, 0, iova + i * page_size,
			     (char *)d->buf + i * page_size, n * page_size, 1,
			     NULL);
		if (ret)
			return ret;
	}
	return 0;
}

static int ours_dirty_read(struct session *s, struct dirty *d, uint64_t iova)
{
	struct ioasid_dirty_read cmd = {
		.size = sizeof(cmd),
		.ioasid = s->as_id,
		.iova = iova,
		.length = d->len,
		.page_size = page_size,
		.bitmap = (uintptr_t)d->bitmap,
	};

	s->step = "IOASID_DIRTY_READ";
	return ioctl(s->fd, IOASID_DIRTY_READ, &cmd) ? errno : 0;
}

static int iommufd_dirty_read(struct session *s, struct dirty *d,
			      uint64_t iova)
{
	struct iommu_hwpt_get_dirty_bitmap cmd = {
		.size = sizeof(cmd),
		.hwpt_id = s->hwpt_id,
		.iova = iova,
		.length = d->len,
		.page_size = page_size,
		.data = (uintptr_t)d->bitmap,
	};

	s->step = "IOMMU_HWPT_GET_DIRTY_BITMAP";
	return ioctl(s->fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &cmd) ? errno : 0;
}

static int dirty_setup(struct session *s, bool huge)
{
	return s->path == OURS_MOCK ? ours_dirty_setup(s, huge) :
				      iommufd_mock_dirty_setup(s, huge);
}

static int dirty_pages(struct session *s, struct dirty *d, uint64_t iova,
		       bool all)
{
	return s->path == OURS_MOCK ?
		ours_dirty_pages(s, d, iova, all) :
		iommufd_mock_dirty_pages(s, iova, d->len, page_size,
					 all ? 1 : DIRTY_RUN,
					 all ? 1 : DIRTY_PERIOD);
}

static int dirty_read(struct session *s, struct dirty *d, uint64_t iova)
{
	return s->path == OURS_MOCK ? ours_dirty_read(s, d, iova) :
				      iommufd_dirty_read(s, d, iova);
}

/*
 * Every dirtied page is set; with one page per IOPTE, nothing else is.
 * Huge IOPTEs report all of their pages, which no page size here exceeds
 * the read's range with: the range is 2 MiB aligned.
 */
static int dirty_check(const struct dirty *d, bool huge, bool all)
{
	uint64_t i, pages = d->len / page_size;
	bool set;

	for (i = 0; i < pages; i++) {
		set = d->bitmap[i / BITS_PER_WORD] >> (i % BITS_PER_WORD) & 1;
		if (dirtied(i, all) ? !set : set && !huge)
			return EIO;
	}
	return 0;
}

/* One repetition on one path, in a session of its own. */
static void dirty_once(struct dirty *d, enum path_id p, bool huge, bool all,
		       struct outcome *o)
{
	const struct path_ops *ops = &path_ops[p];
	struct session s;
	uint64_t iova, t0;
	int ret;

	if (!start_rep(&s, p, o, false))
		return;
	ret = dirty_setup(&s, huge);
	if (!ret)
		ret = ops->ranges(&s);
	if (!ret) {
		s.step = "finding an IOVA window";
		ret = pick_iova(&s, d->len, SZ_2M, &iova) ? 0 : ERANGE;
	}
	if (!ret) {
		s.step = ops->map_name;
		ret = ops->map(&s, d->buf, d->len, iova);
	}
	/* Mapping may leave pages dirty: start from a clean state. */
	if (!ret)
		ret = dirty_read(&s, d, iova);
	if (!ret)
		ret = dirty_pages(&s, d, iova, all);
	if (!ret) {
		memset(d->bitmap, 0, d->bitmap_bytes);
		t0 = now_ns();
		ret = dirty_read(&s, d, iova);
		if (!ret)
			add_sample(d->figs[huge][all], p, (now_ns() - t0) / 1e6);
	}
	if (!ret) {
		s.step = "checking the bitmap";
		ret = dirty_check(d, huge, all);
	}
	if (ret)
		fail_at(o, s.step, ret);
	session_close(&s);
}

static int dirty_alloc(struct dirty *d)
{
	d->map = mmap(NULL, d->len + SZ_2M, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (d->map == MAP_FAILED)
		return errno;
	d->buf = (void *)(((uintptr_t)d->map + SZ_2M - 1) &
			      ~(uintptr_t)(SZ_2M - 1));
	madvise(d->buf, d->len, MADV_HUGEPAGE);
	memset(d->buf, 1, d->len);
	d->bitmap_bytes = (d->len / page_size + BITS_PER_WORD - 1) /
			  BITS_PER_WORD * sizeof(uint64_t);
	d->bitmap = calloc(1, d->bitmap_bytes);
	return d->bitmap ? 0 : ENOMEM;
}

static void dirty_figures(struct dirty *d)
{
	static const char *const iopte[2] = { "small", "huge" };
	static const char *const share[2] = { "1%", "all" };
	char name[48], size[16];
	unsigned int huge, all;

	size_text(d->len, size, sizeof(size));
	for (huge = 0; huge < 2; huge++) {
		for (all = 0; all < 2; all++) {
			snprintf(name, sizeof(name), "dirty read %s %s %s",
				 size, iopte[huge], share[all]);
			d->figs[huge][all] = new_figure(name, "ms");
		}
	}
}

void run_dirty(void)
{
	struct outcome o[NR_PATHS] = {};
	struct dirty d = {};
	unsigned int r, i, huge, all;
	enum path_id p;

	if (!(cfg.tests & (1U << T_DIRTY)))
		return;
	d.len = cfg.bulk_bytes;
	dirty_figures(&d);
	add_note("dirty read: small IOPTEs are ours 4 KiB, iommufd-mock's 2 KiB; "
		 "huge ones ours 2 MiB, iommufd-mock's 1 MiB");
	if (dirty_alloc(&d)) {
		printf("# cannot allocate %llu bytes for the dirty workload\n",
		       (unsigned long long)cfg.bulk_bytes);
		for (p = 0; p < NR_PATHS; p++)
			skip_because(&o[p], "no memory for the buffer");
	}
	for (p = 0; p < NR_PATHS; p++)
		if (!path_ops[p].mock)
			skip_because(&o[p], dirty_why_not);
	for (r = 0; r < cfg.reps; r++) {
		for (huge = 0; huge < 2; huge++) {
			for (all = 0; all < 2; all++) {
				for (i = 0; i < NR_PATHS; i++) {
					p = turn(r + huge * 2 + all, i);
					if (selected(T_DIRTY, p))
						dirty_once(&d, p, huge, all,
							   &o[p]);
				}
			}
		}
	}
	for (p = 0; p < NR_PATHS; p++) {
		if (!selected(T_DIRTY, p))
			continue;
		report(T_DIRTY, p, &o[p]);
		emit_figures(&d.figs[0][0], 4, p);
	}
	free(d.bitmap);
	if (d.map && d.map != MAP_FAILED)
		munmap(d.map, d.len + SZ_2M);
}
