/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared helpers of the ioasid kselftests: wrappers of the /dev/ioasid
 * ioctls and of the test-only IOASID_TEST of CONFIG_IOASID_TEST, which
 * return 0 or the errno of the call, and a few buffer and /proc helpers.
 */
#ifndef __SELFTESTS_IOASID_UTILS_H
#define __SELFTESTS_IOASID_UTILS_H

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/ioasid.h>
#include "../../../../drivers/iommu/ioasid/ioasid_test.h"

#define MAP_RW		(IOASID_MAP_READ | IOASID_MAP_WRITE)
#define SZ_1M		(1024ULL * 1024)
#define SZ_2M		(2 * SZ_1M)

/* The prot bits of an IOPTE: IOMMU_READ and IOMMU_WRITE. */
#define IOPTE_READ	1U
#define IOPTE_WRITE	2U
#define IOPTE_RW	(IOPTE_READ | IOPTE_WRITE)
#define IOPTE_CACHE	4U
#define MOCK_DEVICES	"/sys/bus/ioasid_mock/devices"

static inline int ioasid_alloc(int fd, uint32_t *id)
{
	struct ioasid_alloc cmd = { .size = sizeof(cmd) };
	int ret = ioctl(fd, IOASID_ALLOC, &cmd) ? errno : 0;

	/* 0, which names nothing, when the call failed */
	*id = ret ? 0 : cmd.out_ioasid;
	return ret;
}

static inline int ioasid_destroy(int fd, uint32_t id)
{
	struct ioasid_destroy cmd = { .size = sizeof(cmd), .id = id };

	return ioctl(fd, IOASID_DESTROY, &cmd) ? errno : 0;
}

/*
 * The usable ranges of @id; @num is in/out, the count the kernel reports
 * even on failure.  @alignment, when not NULL, gets the IOVA alignment.
 */
static inline int get_ranges(int fd, uint32_t id,
			     struct ioasid_iova_range *ranges, uint32_t *num,
			     uint64_t *alignment)
{
	struct ioasid_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioasid = id,
		.num_ranges = *num,
		.ranges = (uintptr_t)ranges,
	};
	int ret = ioctl(fd, IOASID_IOVA_RANGES, &cmd) ? errno : 0;

	*num = cmd.num_ranges;
	if (alignment)
		*alignment = cmd.out_iova_alignment;
	return ret;
}

static inline int set_allowed(int fd, uint32_t id,
			      const struct ioasid_iova_range *ranges,
			      uint32_t num)
{
	struct ioasid_set_allowed_ranges cmd = {
		.size = sizeof(cmd),
		.ioasid = id,
		.num_ranges = num,
		.ranges = (uintptr_t)ranges,
	};

	return ioctl(fd, IOASID_SET_ALLOWED_RANGES, &cmd) ? errno : 0;
}

static inline int do_map(int fd, struct ioasid_map *cmd)
{
	cmd->size = sizeof(*cmd);
	return ioctl(fd, IOASID_MAP, cmd) ? errno : 0;
}

static inline int map_fixed(int fd, uint32_t id, void *va, uint64_t len,
			    uint64_t iova)
{
	struct ioasid_map cmd = {
		.flags = MAP_RW | IOASID_MAP_FIXED_IOVA,
		.ioasid = id,
		.user_va = (uintptr_t)va,
		.length = len,
		.iova = iova,
	};

	return do_map(fd, &cmd);
}

/* A kernel-chosen IOVA, written to @iova on success only. */
static inline int map_any(int fd, uint32_t id, void *va, uint64_t len,
			  uint64_t alignment, uint64_t *iova)
{
	struct ioasid_map cmd = {
		.flags = MAP_RW,
		.ioasid = id,
		.user_va = (uintptr_t)va,
		.length = len,
		.alignment = alignment,
	};
	int ret = do_map(fd, &cmd);

	if (!ret)
		*iova = cmd.iova;
	return ret;
}

/* @out, when not NULL, gets the bytes unmapped, on success only. */
static inline int do_unmap(int fd, struct ioasid_unmap *cmd, uint64_t *out)
{
	int ret;

	cmd->size = sizeof(*cmd);
	ret = ioctl(fd, IOASID_UNMAP, cmd) ? errno : 0;
	if (!ret && out)
		*out = cmd->out_length;
	return ret;
}

static inline int unmap_range(int fd, uint32_t id, uint64_t iova,
			      uint64_t len, uint64_t *out)
{
	struct ioasid_unmap cmd = { .ioasid = id, .iova = iova, .length = len };

	return do_unmap(fd, &cmd, out);
}

static inline int unmap_all(int fd, uint32_t id, uint64_t *out)
{
	struct ioasid_unmap cmd = { .ioasid = id, .flags = IOASID_UNMAP_ALL };

	return do_unmap(fd, &cmd, out);
}

static inline int do_copy(int fd, struct ioasid_copy *cmd)
{
	cmd->size = sizeof(*cmd);
	return ioctl(fd, IOASID_COPY, cmd) ? errno : 0;
}

static inline int copy_fixed(int fd, uint32_t dst, uint32_t src,
			     uint64_t src_iova, uint64_t len,
			     uint64_t dst_iova)
{
	struct ioasid_copy cmd = {
		.flags = MAP_RW | IOASID_MAP_FIXED_IOVA,
		.dst_ioasid = dst,
		.src_ioasid = src,
		.length = len,
		.src_iova = src_iova,
		.dst_iova = dst_iova,
	};

	return do_copy(fd, &cmd);
}

/* A kernel-chosen IOVA, written to @dst_iova on success only. */
static inline int copy_any(int fd, uint32_t dst, uint32_t src,
			   uint64_t src_iova, uint64_t len,
			   uint64_t *dst_iova)
{
	struct ioasid_copy cmd = {
		.flags = MAP_RW,
		.dst_ioasid = dst,
		.src_ioasid = src,
		.length = len,
		.src_iova = src_iova,
	};
	int ret = do_copy(fd, &cmd);

	if (!ret)
		*dst_iova = cmd.dst_iova;
	return ret;
}

static inline int do_option(int fd, struct ioasid_option *cmd)
{
	cmd->size = sizeof(*cmd);
	return ioctl(fd, IOASID_OPTION, cmd) ? errno : 0;
}

/* The accounting mode, written to @mode on success only. */
static inline int get_accounting(int fd, uint64_t *mode)
{
	struct ioasid_option cmd = {
		.op = IOASID_OPTION_GET,
		.option = IOASID_OPTION_ACCOUNTING,
	};
	int ret = do_option(fd, &cmd);

	if (!ret)
		*mode = cmd.value;
	return ret;
}

static inline int set_accounting(int fd, uint64_t mode)
{
	struct ioasid_option cmd = {
		.op = IOASID_OPTION_SET,
		.option = IOASID_OPTION_ACCOUNTING,
		.value = mode,
	};

	return do_option(fd, &cmd);
}

/* The @name line of /proc/self/status in kB, or UINT64_MAX without one. */
static inline uint64_t vm_kb(const char *name)
{
	FILE *f = fopen("/proc/self/status", "r");
	size_t len = strlen(name);
	uint64_t kb = UINT64_MAX;
	char line[128];

	if (!f)
		return UINT64_MAX;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, name, len) && line[len] == ':') {
			kb = strtoull(line + len + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return kb;
}

/*
 * @len bytes of @value, written to so that every page is private and
 * present, not the zero page; @small_pages keeps THP away, so that IOPTE
 * sizes do not depend on what THP did.
 */
static inline void *alloc_buf(size_t len, uint8_t value, bool small_pages)
{
	void *buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (buf == MAP_FAILED)
		return NULL;
	if (small_pages)
		madvise(buf, len, MADV_NOHUGEPAGE);
	memset(buf, value, len);
	return buf;
}

/*
 * @n pages that alternate between the two pages of a memfd, filled with
 * @a and @b: no run of contiguous frames is longer than two pages,
 * whatever frames the two pages have.
 */
static inline uint8_t *alternating_buf(size_t n, size_t page, uint8_t a, uint8_t b)
{
	uint8_t *va;
	size_t i;
	int memfd;

	memfd = syscall(SYS_memfd_create, "ioasid_buf", 0);
	if (memfd < 0)
		return NULL;
	va = mmap(NULL, n * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		  0);
	if (ftruncate(memfd, 2 * page) || va == MAP_FAILED)
		goto err;
	for (i = 0; i < n; i++)
		if (mmap(va + i * page, page, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, memfd, (i % 2) * page) ==
		    MAP_FAILED)
			goto err;
	close(memfd);
	memset(va, a, page);
	memset(va + page, b, page);
	return va;
err:
	if (va != MAP_FAILED)
		munmap(va, n * page);
	close(memfd);
	return NULL;
}

/* Different in every 32-bit word, so that a misplaced page shows. */
static inline void fill(void *buf, size_t len, uint32_t seed)
{
	uint32_t *w = buf;
	size_t i;

	for (i = 0; i < len / sizeof(*w); i++)
		w[i] = seed ^ (uint32_t)i * 2654435761U;
}

/*
 * xorshift64*, seeded through splitmix64 so that close seeds and streams
 * differ: tests that draw at random print the seed, which replays them.
 */
struct rng {
	uint64_t x;
};

static inline void rng_init(struct rng *r, uint64_t seed, unsigned int stream)
{
	uint64_t z = seed + (stream + 1) * 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	r->x = (z ^ (z >> 31)) ?: 1;
}

static inline uint64_t rng_next(struct rng *r)
{
	r->x ^= r->x >> 12;
	r->x ^= r->x << 25;
	r->x ^= r->x >> 27;
	return r->x * 0x2545f4914f6cdd1dULL;
}

/*
 * A seed for a run that was not given one.  Not the time: a guest without
 * a real-time clock starts every boot at the same second.
 */
static inline uint64_t fresh_seed(void)
{
	struct timespec ts;
	uint64_t seed;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == sizeof(seed))
		return seed >> 32;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint32_t)(ts.tv_sec * 1000000000ULL + ts.tv_nsec) ^ getpid();
}

/* The test-only ioctl and the mock devices of CONFIG_IOASID_TEST. */

static inline int do_test(int fd, struct ioasid_test *cmd)
{
	cmd->size = sizeof(*cmd);
	return ioctl(fd, IOASID_TEST, cmd) ? errno : 0;
}

/* A device with the config in @cmd; zero fields take the defaults. */
static inline int do_mock_device(int fd, struct ioasid_test *cmd,
				 uint32_t *id)
{
	int ret;

	cmd->op = IOASID_TEST_MOCK_DEVICE;
	ret = do_test(fd, cmd);
	/* 0, which names nothing, when the call failed */
	*id = ret ? 0 : cmd->mock_device.out_id;
	return ret;
}

static inline int mock_device(int fd, uint32_t *id)
{
	struct ioasid_test cmd = {};

	return do_mock_device(fd, &cmd, id);
}

/* A device whose IOMMU maps only CPU pages, so it needs a table of its own. */
static inline int mock_device_small_pages(int fd, uint64_t page, uint32_t *id)
{
	struct ioasid_test cmd = { .mock_device.pgsize_bitmap = page };

	return do_mock_device(fd, &cmd, id);
}

static inline int mock_attach(int fd, uint32_t dev, uint32_t ioasid)
{
	struct ioasid_test cmd = {
		.op = IOASID_TEST_ATTACH,
		.id = dev,
		.ioasid = ioasid,
	};

	return do_test(fd, &cmd);
}

static inline int mock_detach(int fd, uint32_t dev)
{
	struct ioasid_test cmd = { .op = IOASID_TEST_DETACH, .id = dev };

	return do_test(fd, &cmd);
}

static inline int mock_attach_pasid(int fd, uint32_t dev, uint32_t pasid,
				    uint32_t ioasid)
{
	struct ioasid_test cmd = {
		.op = IOASID_TEST_ATTACH_PASID,
		.id = dev,
		.ioasid = ioasid,
		.pasid.pasid = pasid,
	};

	return do_test(fd, &cmd);
}

static inline int mock_detach_pasid(int fd, uint32_t dev, uint32_t pasid)
{
	struct ioasid_test cmd = {
		.op = IOASID_TEST_DETACH_PASID,
		.id = dev,
		.pasid.pasid = pasid,
	};

	return do_test(fd, &cmd);
}

/*
 * @dev copies @len bytes between @buf and its IOVAs at @iova, tagged with
 * @pasid unless it is 0.  @fault, when not NULL, gets the IOVA that
 * faulted on EIO, else UINT64_MAX.
 */
static inline int do_dma(int fd, uint32_t dev, uint32_t pasid, uint64_t iova,
			 void *buf, uint64_t len, uint32_t to_iova,
			 uint64_t *fault)
{
	struct ioasid_test cmd = {
		.op = IOASID_TEST_DMA,
		.id = dev,
		.dma.iova = iova,
		.dma.length = len,
		.dma.uptr = (uintptr_t)buf,
		.dma.to_iova = to_iova,
		.dma.pasid = pasid,
	};
	int ret = do_test(fd, &cmd);

	if (fault)
		*fault = ret == EIO ? cmd.dma.out_fault_iova : UINT64_MAX;
	return ret;
}

struct iopte {
	uint64_t pfn;
	uint64_t pgsize;
	uint32_t prot;
	uint32_t flags;
};

/* The IOPTE @dev, or its @pasid unless 0, translates @iova with. */
static inline int read_iopte(int fd, uint32_t dev, uint32_t pasid,
			     uint64_t iova, struct iopte *pte)
{
	struct ioasid_test cmd = {
		.op = IOASID_TEST_IOPTE,
		.id = dev,
		.iopte.iova = iova,
		.iopte.pasid = pasid,
	};
	int ret = do_test(fd, &cmd);

	pte->pfn = ret ? UINT64_MAX : cmd.iopte.out_pfn;
	pte->pgsize = ret ? 0 : cmd.iopte.out_pgsize;
	pte->prot = ret ? 0 : cmd.iopte.out_prot;
	pte->flags = ret ? 0 : cmd.iopte.out_flags;
	return ret;
}

struct pinned {
	uint64_t fd_pages;
	uint64_t user_locked;
	uint64_t mm_locked;
	uint64_t mm_pinned;
	uint64_t table_pages;
};

static inline int get_pinned(int fd, struct pinned *p)
{
	struct ioasid_test cmd = { .op = IOASID_TEST_PINNED };
	int ret = do_test(fd, &cmd);

	p->fd_pages = cmd.pinned.out_fd_pages;
	p->user_locked = cmd.pinned.out_user_locked;
	p->mm_locked = cmd.pinned.out_mm_locked;
	p->mm_pinned = cmd.pinned.out_mm_pinned;
	p->table_pages = cmd.pinned.out_table_pages;
	return ret;
}

/* The pages @fd pins, or UINT64_MAX when that cannot be read. */
static inline uint64_t fd_pages(int fd)
{
	struct pinned p;

	return get_pinned(fd, &p) ? UINT64_MAX : p.fd_pages;
}

/*
 * The pages @fd pins whose frames only the IOMMU page tables hold, or
 * UINT64_MAX when that cannot be read.
 */
static inline uint64_t table_pages(int fd)
{
	struct pinned p;

	return get_pinned(fd, &p) ? UINT64_MAX : p.table_pages;
}

/* Where a read of @len bytes at @iova faults, or UINT64_MAX if not EIO. */
static inline uint64_t read_fault(int fd, uint32_t dev, uint64_t iova,
				  uint64_t len)
{
	uint8_t *buf = calloc(1, len);
	uint64_t fault = UINT64_MAX;

	if (buf)
		do_dma(fd, dev, 0, iova, buf, len, 0, &fault);
	free(buf);
	return fault;
}

/* The AnonHugePages of the mapping holding @addr, in kB. */
static inline unsigned long anon_huge_kb(void *addr)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	unsigned long start, end, kb = 0;
	bool inside = false;
	char line[256], perms[8];

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %7s", &start, &end, perms) == 3) {
			inside = start <= (uintptr_t)addr &&
				 (uintptr_t)addr < end;
			continue;
		}
		if (inside && sscanf(line, "AnonHugePages: %lu kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

/*
 * 2 MiB at a 2 MiB boundary, asked to be one THP; @base is what to
 * munmap(), 4 MiB.  Whether THP obliged is for the caller to check.
 */
static inline uint8_t *alloc_huge(void **base)
{
	uint8_t *raw = mmap(NULL, 2 * SZ_2M, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *buf;

	if (raw == MAP_FAILED)
		return NULL;
	buf = (uint8_t *)(((uintptr_t)raw + SZ_2M - 1) & ~(SZ_2M - 1));
	madvise(buf, SZ_2M, MADV_HUGEPAGE);
	memset(buf, 0x5a, SZ_2M);
	*base = raw;
	return buf;
}

/* The mock devices that exist, of every fd, or -1. */
static inline int count_mock_devices(void)
{
	DIR *d = opendir(MOCK_DEVICES);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* Whether DMA tagged with @pasid reads exactly @want at @iova. */
static inline bool pasid_sees(int fd, uint32_t dev, uint32_t pasid,
			      uint64_t iova, const void *want, uint64_t len)
{
	uint8_t *got = calloc(1, len);
	bool same;

	if (!got)
		return false;
	same = !do_dma(fd, dev, pasid, iova, got, len, 0, NULL) &&
	       !memcmp(got, want, len);
	free(got);
	return same;
}

#endif /* __SELFTESTS_IOASID_UTILS_H */
