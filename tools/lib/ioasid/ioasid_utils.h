/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libioasid, the helpers the ioasid kselftests and tools/ioasid share:
 * wrappers of the /dev/ioasid ioctls and of the test-only IOASID_TEST of
 * CONFIG_DEV_IOASID_TEST, which return 0 or the errno of the call, and a few
 * buffer, PRNG and /proc helpers.  Built once per program directory from
 * ioasid_utils.c (see libioasid.mk).
 *
 * This header is the one place that includes the test-only ioctl's
 * header from the kernel tree.
 */
#ifndef __LIBIOASID_UTILS_H
#define __LIBIOASID_UTILS_H

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
#include "../../../drivers/iommu/ioasid/ioasid_test.h"

#define MAP_RW		(IOASID_MAP_READ | IOASID_MAP_WRITE)
#define SZ_1M		(1024ULL * 1024)
#define SZ_2M		(2 * SZ_1M)

/* The prot bits of an IOPTE: IOMMU_READ and IOMMU_WRITE. */
#define IOPTE_READ	1U
#define IOPTE_WRITE	2U
#define IOPTE_RW	(IOPTE_READ | IOPTE_WRITE)
#define IOPTE_CACHE	4U
#define MOCK_DEVICES	"/sys/bus/ioasid_mock/devices"

int ioasid_alloc(int fd, uint32_t *id);

int ioasid_destroy(int fd, uint32_t id);

/*
 * The usable ranges of @id; @num is in/out, the count the kernel reports
 * even on failure.  @alignment, when not NULL, gets the IOVA alignment.
 */
int get_ranges(int fd, uint32_t id, struct ioasid_iova_range *ranges,
	       uint32_t *num, uint64_t *alignment);

/* Whether the usable ranges of @id are exactly the @num, at most 8, of @want. */
bool ranges_are(int fd, uint32_t id, const struct ioasid_iova_range *want,
		uint32_t num);

int set_allowed(int fd, uint32_t id, const struct ioasid_iova_range *ranges,
		uint32_t num);

int do_map(int fd, struct ioasid_map *cmd);

int map_fixed(int fd, uint32_t id, void *va, uint64_t len, uint64_t iova);

/* map_fixed() with the IOASID_MAP_READ and WRITE bits @prot. */
int map_fixed_prot(int fd, uint32_t id, void *va, uint64_t len, uint64_t iova,
		   uint32_t prot);

/* A kernel-chosen IOVA, written to @iova on success only. */
int map_any(int fd, uint32_t id, void *va, uint64_t len, uint64_t alignment,
	    uint64_t *iova);

/* @out, when not NULL, gets the bytes unmapped, on success only. */
int do_unmap(int fd, struct ioasid_unmap *cmd, uint64_t *out);

int unmap_range(int fd, uint32_t id, uint64_t iova, uint64_t len,
		uint64_t *out);

int unmap_all(int fd, uint32_t id, uint64_t *out);

int do_copy(int fd, struct ioasid_copy *cmd);

int copy_fixed(int fd, uint32_t dst, uint32_t src, uint64_t src_iova,
	       uint64_t len, uint64_t dst_iova);

/* A kernel-chosen IOVA, written to @dst_iova on success only. */
int copy_any(int fd, uint32_t dst, uint32_t src, uint64_t src_iova,
	     uint64_t len, uint64_t *dst_iova);

int do_option(int fd, struct ioasid_option *cmd);

/* IOASID_DEVICE_INFO of binding @dev_id into a zeroed @info. */
int device_info(int fd, uint32_t dev_id, struct ioasid_device_info *info);

/* The accounting mode, written to @mode on success only. */
int get_accounting(int fd, uint64_t *mode);

int set_accounting(int fd, uint64_t mode);

/* The @name line of /proc/self/status in kB, or UINT64_MAX without one. */
uint64_t vm_kb(const char *name);

/*
 * @len bytes of @value, written to so that every page is private and
 * present, not the zero page; @small_pages keeps THP away, so that IOPTE
 * sizes do not depend on what THP did.
 */
void *alloc_buf(size_t len, uint8_t value, bool small_pages);

/*
 * @n pages that alternate between the two pages of a memfd, filled with
 * @a and @b: no run of contiguous frames is longer than two pages,
 * whatever frames the two pages have.
 */
uint8_t *alternating_buf(size_t n, size_t page, uint8_t a, uint8_t b);
/* The same at @va, over whatever is mapped there; false on failure. */
bool alternate_at(uint8_t *va, size_t n, size_t page, uint8_t a, uint8_t b);

/* Different in every 32-bit word, so that a misplaced page shows. */
void fill(void *buf, size_t len, uint32_t seed);

/* Whether each of the @len bytes at @buf is @value. */
bool all_bytes(const uint8_t *buf, size_t len, uint8_t value);

/*
 * xorshift64*, seeded through splitmix64 so that close seeds and streams
 * differ: tests that draw at random print the seed, which replays them.
 */
struct rng {
	uint64_t x;
};

void rng_init(struct rng *r, uint64_t seed, unsigned int stream);

uint64_t rng_next(struct rng *r);

/*
 * Writes the first byte of each of the @n pages at @buf, page i getting
 * i, in an order shuffled from @seed: pages faulted in at random are
 * seldom neighbours in memory, as on a system that has run for a while,
 * where in order a fresh guest hands out ascending frames.  0 or ENOMEM.
 */
int touch_shuffled(uint8_t *buf, size_t n, size_t page, uint64_t seed);

/*
 * A seed for a run that was not given one.  Not the time: a guest without
 * a real-time clock starts every boot at the same second.
 */
uint64_t fresh_seed(void);

/* The test-only ioctl and the mock devices of CONFIG_DEV_IOASID_TEST. */

int do_test(int fd, struct ioasid_test *cmd);

/* A device with the config in @cmd; zero fields take the defaults. */
int do_mock_device(int fd, struct ioasid_test *cmd, uint32_t *id);

int mock_device(int fd, uint32_t *id);

/* A device whose IOMMU maps only CPU pages, so it needs a table of its own. */
int mock_device_small_pages(int fd, uint64_t page, uint32_t *id);

/*
 * A device whose host driver keeps it and its requester ID, with PASIDs
 * of @pasid_bits bits; the new object binds only its PASIDs to @fd.
 */
int mock_device_host_owned(int fd, uint32_t pasid_bits, uint32_t *id);

/*
 * Another binding, in @fd, of the PASIDs of host-owned device @other_id
 * of the fd @other_fd, which may be @fd itself; no device is added.
 */
int mock_device_pasids_of(int fd, int other_fd, uint32_t other_id,
			  uint32_t *id);

/*
 * Binds to @fd, with IOASID_MOCK_* @flags, a device that is in an IOMMU
 * group but that no IOMMU translates, and removes it: the bind's errno.
 */
int bind_untranslated(int fd, uint32_t flags);

int mock_attach(int fd, uint32_t dev, uint32_t ioasid);

int mock_detach(int fd, uint32_t dev);

int mock_attach_pasid(int fd, uint32_t dev, uint32_t pasid, uint32_t ioasid);

int mock_detach_pasid(int fd, uint32_t dev, uint32_t pasid);

/*
 * IOASID_TEST_FLOOR of @len bytes of @buf at @iova in IOASID @id: pin, map,
 * unmap and unpin, timed by the kernel; @out, unless NULL, gets the struct
 * back with the times.
 */
int floor_op(int fd, uint32_t id, uint64_t iova, const void *buf,
	     uint64_t len, struct ioasid_test *out);

/*
 * @dev copies @len bytes between @buf and its IOVAs at @iova, tagged with
 * @pasid unless it is 0.  @fault, when not NULL, gets the IOVA that
 * faulted on EIO, else UINT64_MAX.
 */
int do_dma(int fd, uint32_t dev, uint32_t pasid, uint64_t iova, void *buf,
	   uint64_t len, uint32_t to_iova, uint64_t *fault);

/*
 * do_dma() that also says, on EIO, which stage of a nested IOASID faulted
 * in *@stage (1 or 2, 0 for an IOASID of one stage), unless it is NULL.
 */
int do_dma_stage(int fd, uint32_t dev, uint32_t pasid, uint64_t iova,
		 void *buf, uint64_t len, uint32_t to_iova, uint64_t *fault,
		 uint32_t *stage);

struct iopte {
	uint64_t pfn;
	uint64_t pgsize;
	uint32_t prot;
	uint32_t flags;
};

/* The IOPTE @dev, or its @pasid unless 0, translates @iova with. */
int read_iopte(int fd, uint32_t dev, uint32_t pasid, uint64_t iova,
	       struct iopte *pte);

/*
 * The mock emulated devices of IOASID_TEST, which reach IOASID memory
 * through an access of the in-kernel API.  @flags are IOASID_MOCK_ACCESS_*.
 */
int access_create(int fd, uint32_t flags, uint32_t *id);

int access_attach(int fd, uint32_t id, uint32_t ioasid);

int access_detach(int fd, uint32_t id);

int access_pin(int fd, uint32_t id, uint64_t iova, uint64_t len,
	       uint32_t flags);

int access_unpin(int fd, uint32_t id, uint64_t iova, uint64_t len);

/* Copies @len bytes between @buf and @iova with ioasid_access_rw(). */
int access_rw(int fd, uint32_t id, uint64_t iova, void *buf, uint64_t len,
	      uint32_t flags);

/* Copies @len bytes between @buf and pages @id holds pinned at @iova. */
int access_dma(int fd, uint32_t id, uint64_t iova, void *buf, uint64_t len,
	       uint32_t flags);

/*
 * Sets @id's flags to @flags and reads its books into @out, when not
 * NULL: out_unmap_calls, out_unmap_iova, out_unmap_last, out_pinned_pages.
 */
int access_config(int fd, uint32_t id, uint32_t flags,
		  struct ioasid_test *out);

struct pinned {
	uint64_t fd_pages;
	uint64_t user_locked;
	uint64_t mm_locked;
	uint64_t mm_pinned;
	uint64_t table_pages;
};

int get_pinned(int fd, struct pinned *p);

/*
 * Opens /dev/ioasid for a test that needs IOASID_TEST, or returns -1 with
 * *@why saying why the test cannot run.
 */
int open_test_ioasid(const char **why);

/* The pages @fd pins, or UINT64_MAX when that cannot be read. */
uint64_t fd_pages(int fd);

/*
 * The pages @fd pins whose frames only the IOMMU page tables hold, or
 * UINT64_MAX when that cannot be read.
 */
uint64_t table_pages(int fd);

/*
 * The FOLL_PIN references held in the whole system: the pins every
 * pin_user_pages*() took and no unpin_user_page*() gave back, counted in
 * struct page itself rather than in any account of ours.  The per-CPU
 * counts are folded first (vm.stat_refresh, as root), so the figure is
 * exact while nothing else pins.  -1 when it cannot be read.
 */
int64_t pins_held(void);

/* Where a read of @len bytes at @iova faults, or UINT64_MAX if not EIO. */
uint64_t read_fault(int fd, uint32_t dev, uint64_t iova, uint64_t len);

/* read_fault() of a read tagged with @pasid. */
uint64_t pasid_read_fault(int fd, uint32_t dev, uint32_t pasid, uint64_t iova,
			  uint64_t len);

/* The AnonHugePages of the mapping holding @addr, in kB. */
unsigned long anon_huge_kb(void *addr);

/*
 * The physical frame of the page at @va, from /proc/self/pagemap: 0, or
 * ENOENT when none is present, EPERM without CAP_SYS_ADMIN.
 */
int page_frame(const void *va, uint64_t *pfn);

/*
 * 2 MiB at a 2 MiB boundary, asked to be one THP; @base is what to
 * munmap(), 4 MiB.  Whether THP obliged is for the caller to check.
 */
uint8_t *alloc_huge(void **base);

/* The mock devices that exist, of every fd, or -1. */
int count_mock_devices(void);

/* Whether DMA tagged with @pasid reads exactly @want at @iova. */
bool pasid_sees(int fd, uint32_t dev, uint32_t pasid, uint64_t iova,
		const void *want, uint64_t len);

#endif /* __LIBIOASID_UTILS_H */
