// SPDX-License-Identifier: GPL-2.0-only
/*
 * Allocation failures inside the ioctls of /dev/ioasid, injected with
 * /proc/<pid>/task/<tid>/fail-nth: writing N there makes the N-th fault
 * injection point this thread passes fail, and reading it back tells
 * whether that point was reached (0) or not (what was left of N).  Each
 * test sets up some objects, then runs one operation with N = 1, 2, ...
 * until it succeeds without reaching the armed point.  After every
 * injected failure the call must have failed cleanly and changed nothing;
 * after every success the operation is undone.  Either way the fd must
 * still work, with no IOASID id, pinned page or mock device leaked.  The
 * debug kernel the tests run under (KASAN, lockdep, kmemleak) catches
 * what only shows inside the error paths.
 *
 * What is configured in debugfs, and why (the values found are put back
 * at the end of each test):
 *
 * - failslab and fail_page_alloc "ignore-gfp-wait" N: by default only
 *   allocations that cannot sleep are candidates, and the ioctls allocate
 *   with GFP_KERNEL.
 * - fail_page_alloc "min-order" 0 and "ignore-gfp-highmem" N: by default
 *   single pages, and the pages that user memory gets, are never failed.
 * - failslab "cache-filter" N: with it set only caches marked for fault
 *   injection would count.
 * - "verbose" 0 for both: an injected failure otherwise prints a notice
 *   and a stack dump, which the run treats as a kernel splat.
 * - Neither "probability", "interval", "times" nor "space" is written:
 *   a thread's fail-nth fails its N-th point before the kernel looks at
 *   them, and a non-zero probability would fail allocations everywhere,
 *   so the tests skip if one is set.  "times" drops by one at each failure
 *   fail-nth injects, so it is put back too.
 *
 * An injected page allocation failure returns NULL before the page
 * allocator's slow path, the only place it calls warn_alloc(), so it
 * prints no "page allocation failure" trace.  vmalloc() does print one
 * when it fails, and kvmalloc() falls back to it above a page; the
 * operations here stay below that, so fail_page_alloc is used as well as
 * failslab.  A slab that cannot get a page logs a few "SLUB: Unable to
 * allocate memory" lines, without a trace.
 *
 * Reads of the fdinfo and of the debugfs mappings file are operations
 * too: they must fail with ENOMEM or show all there is.
 *
 * The errno of an injected failure must be ENOMEM: every allocation of
 * these paths fails with it, and the object id allocator turns its own
 * failure into ENOMEM too.  Creating a mock device may also fail with
 * ENODEV: the IOMMU core probes the device from a bus notifier whose
 * failure device_add() ignores, and the device then has no IOMMU group.
 * EFAULT is accepted only when the kernel has fail_usercopy, whose points
 * fail-nth then counts as well.
 *
 * Each test prints how many injection points its operation went through.
 * /proc/<pid>/task/<tid>/fail-nth exists with CONFIG_FAULT_INJECTION only;
 * without it every test skips.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/ioasid.h>
#include <linux/vfio.h>
#include "edu_vfio.h"
#include "ioasid_utils.h"
#include "ioasid_views.h"
#include "mdma_vfio.h"
#include "vdpa_net.h"
#include "../kselftest_harness.h"

#define DEBUGFS		"/sys/kernel/debug/"
#define PAGES		16U		/* pages of each buffer */
#define MAX_NTH		2000		/* most points an operation may pass */
#define IOVA_A		IOASID_MOCK_APERTURE_START
#define IOVA_B		(IOASID_MOCK_APERTURE_START + SZ_1M)
#define SZ_1G		(1024 * SZ_1M)

/*
 * The debugfs files the tests write, with the value they need; a NULL
 * value is only saved and restored.  The fail_page_alloc ones are used
 * when the kernel has it.
 */
static const struct knob {
	const char *name;
	const char *value;
	bool optional;
} knobs[] = {
	{ "failslab/ignore-gfp-wait", "N", false },
	{ "failslab/cache-filter", "N", false },
	{ "failslab/verbose", "0", false },
	{ "failslab/times", NULL, false },
	{ "fail_page_alloc/ignore-gfp-wait", "N", true },
	{ "fail_page_alloc/ignore-gfp-highmem", "N", true },
	{ "fail_page_alloc/min-order", "0", true },
	{ "fail_page_alloc/verbose", "0", true },
	{ "fail_page_alloc/times", NULL, true },
};

#define NR_KNOBS	ARRAY_SIZE(knobs)

static bool read_file(const char *path, char *val, size_t size)
{
	ssize_t len;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	len = read(fd, val, size - 1);
	close(fd);
	if (len <= 0)
		return false;
	val[len] = 0;
	val[strcspn(val, "\n")] = 0;
	return true;
}

static bool write_file(const char *path, const char *val)
{
	ssize_t len = strlen(val);
	bool ok;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ok = write(fd, val, len) == len;
	close(fd);
	return ok;
}

static bool read_knob(const char *name, char *val, size_t size)
{
	char path[128];

	snprintf(path, sizeof(path), DEBUGFS "%s", name);
	return read_file(path, val, size);
}

static bool write_knob(const char *name, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), DEBUGFS "%s", name);
	return write_file(path, val);
}

/* Whether failslab or fail_page_alloc fails allocations at random. */
static bool random_faults(void)
{
	static const char * const names[] = {
		"failslab/probability", "fail_page_alloc/probability",
	};
	char val[32];
	unsigned int i;

	for (i = 0; i < 2; i++)
		if (read_knob(names[i], val, sizeof(val)) && strcmp(val, "0"))
			return true;
	return false;
}

/* Arms the @n-th injection point of the thread whose fail-nth is @fd. */
static bool nth_arm(int fd, unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	return pwrite(fd, buf, len, 0) == len;
}

/* Disarms; @hit tells whether the armed point was reached. */
static bool nth_disarm(int fd, bool *hit)
{
	char buf[16] = {};
	ssize_t len = pread(fd, buf, sizeof(buf) - 1, 0);

	if (len <= 0 || !nth_arm(fd, 0))
		return false;
	*hit = !strtoul(buf, NULL, 10);
	return true;
}

/* The calling thread's fail-nth, which exists with fault injection only. */
static void nth_path(char *path, size_t size)
{
	snprintf(path, size, "/proc/self/task/%ld/fail-nth",
		 (long)syscall(SYS_gettid));
}

/* The errno of looking up @iova through @dev (or its @pasid), or 0. */
static int iopte_err(int fd, uint32_t dev, uint32_t pasid, uint64_t iova)
{
	struct iopte pte;

	return read_iopte(fd, dev, pasid, iova, &pte);
}

static int new_mock_device(int fd, uint64_t pgsizes, uint32_t pasid_bits,
			   uint32_t *id)
{
	struct ioasid_test cmd = {
		.mock_device.pgsize_bitmap = pgsizes,
		.mock_device.pasid_bits = pasid_bits,
	};

	return do_mock_device(fd, &cmd, id);
}

struct nth_ctx {
	int fd;
	int nth;		/* this thread's fail-nth, kept open */
	uint64_t page;
	uint64_t len;		/* PAGES pages */
	uint8_t *buf[2];	/* PAGES pages each, of different contents */
	uint8_t *probe;		/* one page */
	uint32_t id[2];
	uint32_t dev[2];
	uint32_t out;		/* the id the operation under test returned */
	uint64_t report[2];	/* an IOMMU's report of itself */
	uint32_t out_dev;	/* the binding's id, of a device it made */
	uint64_t out_len;
	struct ioasid_iova_range ranges[8];	/* as the setup left them */
	uint32_t nr_ranges;
	struct ioasid_iova_range got[8];	/* as the operation saw them */
	uint32_t nr_got;
	bool efault_ok;
	char saved[NR_KNOBS][32];
	bool have[NR_KNOBS];
	/* what every iteration must come back to */
	uint64_t fd_pages;
	uint64_t user_locked;
	uint64_t vm_pin;
	int64_t pins;			/* pins_held() */
	uint64_t container_locked;	/* VmLck before vfio_container */
	int devices;
	uint32_t free_id;
	char cdev[64];		/* edu's VFIO cdev */
	int dev_fd;		/* open on it, or the VFIO container, or -1 */
	int peer_fd;		/* another /dev/ioasid fd, a VFIO group, or -1 */
	bool platform;		/* nth_vdpa: vp_vdpa, behind the platform IOMMU */
	uint32_t peer_id;	/* an IOASID of peer_fd */
	bool seen;		/* the op's DMA read what was mapped */
	uint8_t *dma_buf;	/* PAGES pages, for the op's DMA */
	struct ioasid_test books;	/* of the emulated device, at the end */
	char mdev[MDMA_UUID_LEN];	/* an mdma child to remove, or "" */
	char view_path[128];	/* the view the op reads */
	int view_fd;		/* open on it for the op, or -1 */
	char *view_buf;		/* VIEW_LEN bytes, what the op read */
	size_t view_len;
	char *view_ref;		/* what a read without failures gave */
	int qfd;		/* a fault queue's fd, or -1 */
	uint32_t queue;		/* its id */
	int free_fd;		/* the lowest free fd, before the op */
	pthread_t responder;	/* answers the op's page request */
	int stop[2];		/* a pipe that stops it, or -1 */
	struct ioasid_test dma;	/* the op's DMA, as it ended */
	size_t view_ref_len;
};

FIXTURE(nth) {
	struct nth_ctx ctx;
};

/* One operation under test and how to check and undo it. */
struct nth_op {
	/* gets what the operation works on ready, before it is armed */
	void (*prepare)(struct __test_metadata *_metadata,
			struct nth_ctx *c);
	int (*run)(struct nth_ctx *c);
	/* checks the state with the operation @done or not */
	void (*check)(struct __test_metadata *_metadata,
		      struct nth_ctx *c, bool done);
	void (*undo)(struct __test_metadata *_metadata,
		     struct nth_ctx *c);
	int other_errno;	/* accepted besides ENOMEM, or 0 */
};

static void restore_knobs(struct nth_ctx *c)
{
	unsigned int i;

	for (i = 0; i < NR_KNOBS; i++)
		if (c->have[i])
			write_knob(knobs[i].name, c->saved[i]);
}

static bool setup_knobs(struct nth_ctx *c)
{
	unsigned int i;

	for (i = 0; i < NR_KNOBS; i++) {
		if (!read_knob(knobs[i].name, c->saved[i],
			       sizeof(c->saved[i]))) {
			if (knobs[i].optional)
				continue;
			return false;
		}
		c->have[i] = true;
		if (knobs[i].value && !write_knob(knobs[i].name,
						  knobs[i].value))
			return false;
	}
	return true;
}

/*
 * The setup of every fixture: the fds, two buffers of 4 KiB pages and the
 * debugfs knobs; skips when the kernel cannot inject failures.
 */
static void nth_ctx_setup(struct __test_metadata *_metadata,
			  struct nth_ctx *c)
{
	char path[64];
	int i;

	nth_path(path, sizeof(path));
	if (access(path, F_OK))
		SKIP(return,
		     "no %s: the kernel lacks CONFIG_FAULT_INJECTION", path);
	if (access(DEBUGFS "failslab", F_OK))
		SKIP(return, "no failslab in debugfs: needs CONFIG_FAILSLAB");
	if (random_faults())
		SKIP(return, "fault injection with a non-zero probability");

	c->dev_fd = -1;
	c->peer_fd = -1;
	c->view_fd = -1;
	c->qfd = -1;
	c->stop[0] = -1;
	c->stop[1] = -1;
	c->mdev[0] = 0;
	c->nth = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, c->nth);
	c->fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, c->fd);
	c->page = sysconf(_SC_PAGESIZE);
	c->len = PAGES * c->page;
	for (i = 0; i < 2; i++) {
		c->buf[i] = alloc_buf(c->len, 0, true);
		ASSERT_NE(NULL, c->buf[i]);
		fill(c->buf[i], c->len, 0x5eed0000 + i);
	}
	c->probe = alloc_buf(c->page, 0x3c, true);
	ASSERT_NE(NULL, c->probe);
	c->efault_ok = !access(DEBUGFS "fail_usercopy", F_OK);

	/* Last, so that nothing can fail between changing and restoring. */
	if (!setup_knobs(c)) {
		restore_knobs(c);
		ASSERT_TRUE(false) TH_LOG("cannot configure " DEBUGFS);
	}
}

static void nth_ctx_teardown(struct nth_ctx *c)
{
	restore_knobs(c);
	if (c->dev_fd >= 0)
		close(c->dev_fd);
	if (c->mdev[0])
		mdma_remove(c->mdev);
	if (c->peer_fd >= 0)
		close(c->peer_fd);
	if (c->view_fd >= 0)
		close(c->view_fd);
	if (c->qfd >= 0)
		close(c->qfd);
	if (c->stop[0] >= 0) {
		close(c->stop[0]);
		close(c->stop[1]);
	}
	free(c->view_ref);
	close(c->fd);
	close(c->nth);
}

FIXTURE_SETUP(nth)
{
	nth_ctx_setup(_metadata, &self->ctx);
}

FIXTURE_TEARDOWN(nth)
{
	nth_ctx_teardown(&self->ctx);
}

/*
 * The operations that fill or read the IOMMU page tables run once per
 * table count and once per kind of memory, as variants of two fixtures
 * set up as nth is.
 */
FIXTURE(nth_tables) {
	struct nth_ctx ctx;
};

/* How many page tables id[0] has when the operation runs. */
FIXTURE_VARIANT(nth_tables) {
	int tables;
};

FIXTURE_VARIANT_ADD(nth_tables, no_table) {
	.tables = 0,
};

FIXTURE_VARIANT_ADD(nth_tables, one_table) {
	.tables = 1,
};

/* The second device's IOMMU has CPU pages only: it cannot share. */
FIXTURE_VARIANT_ADD(nth_tables, two_tables) {
	.tables = 2,
};

FIXTURE_SETUP(nth_tables)
{
	nth_ctx_setup(_metadata, &self->ctx);
}

FIXTURE_TEARDOWN(nth_tables)
{
	nth_ctx_teardown(&self->ctx);
}

FIXTURE(nth_memory) {
	struct nth_ctx ctx;
};

/*
 * What buf[0] is: anonymous 4 KiB pages, whose frames the kernel keeps as
 * runs or leaves to the page tables as they happen to fall, or pages
 * alternating between two frames, which the IOMMU page tables alone hold
 * once mapped with a device attached.
 */
FIXTURE_VARIANT(nth_memory) {
	bool scattered;
};

FIXTURE_VARIANT_ADD(nth_memory, anonymous) {
	.scattered = false,
};

FIXTURE_VARIANT_ADD(nth_memory, scattered) {
	.scattered = true,
};

FIXTURE_SETUP(nth_memory)
{
	nth_ctx_setup(_metadata, &self->ctx);
}

FIXTURE_TEARDOWN(nth_memory)
{
	nth_ctx_teardown(&self->ctx);
}

/* The lowest free object id of @fd, which the next object gets. */
static uint32_t lowest_free_id(int fd)
{
	uint32_t id;

	if (ioasid_alloc(fd, &id) || ioasid_destroy(fd, id))
		return 0;
	return id;
}

/* Records what the fd and the system hold with the setup done. */
static void snapshot(struct __test_metadata *_metadata,
		     struct nth_ctx *c)
{
	struct pinned p;

	ASSERT_EQ(0, get_pinned(c->fd, &p));
	c->fd_pages = p.fd_pages;
	c->user_locked = p.user_locked;
	c->vm_pin = vm_kb("VmPin");
	c->pins = pins_held();
	ASSERT_LE(0, c->pins);
	c->devices = count_mock_devices();
	ASSERT_LE(0, c->devices);
	c->free_id = lowest_free_id(c->fd);
	ASSERT_NE(0U, c->free_id);
}

/*
 * The fd answers, pins and charges what it did before the operation, no
 * mock device is left over, the next object gets the lowest free id, and
 * a new IOASID can map and unmap.
 */
static void check_fd(struct __test_metadata *_metadata,
		     struct nth_ctx *c)
{
	struct ioasid_info info = { .size = sizeof(info) };
	struct pinned p;
	uint64_t out;
	uint32_t id;

	ASSERT_EQ(0, ioctl(c->fd, IOASID_GET_INFO, &info));
	ASSERT_EQ(0, get_pinned(c->fd, &p));
	ASSERT_EQ(c->fd_pages, p.fd_pages);
	ASSERT_EQ(c->user_locked, p.user_locked);
	ASSERT_EQ(c->vm_pin, vm_kb("VmPin"));
	ASSERT_EQ(c->pins, pins_held());
	ASSERT_EQ(c->devices, count_mock_devices());
	ASSERT_EQ(0, ioasid_alloc(c->fd, &id));
	ASSERT_EQ(c->free_id, id);
	ASSERT_EQ(0, map_fixed(c->fd, id, c->probe, c->page, IOVA_A));
	ASSERT_EQ(0, unmap_range(c->fd, id, IOVA_A, c->page, &out));
	ASSERT_EQ(c->page, out);
	ASSERT_EQ(0, ioasid_destroy(c->fd, id));
}

static bool errno_ok(struct nth_ctx *c, const struct nth_op *op,
		     int err)
{
	return err == ENOMEM || (op->other_errno && err == op->other_errno) ||
	       (c->efault_ok && err == EFAULT);
}

/* id[0] and id[1], each with its buffer mapped at IOVA_A. */
static void map_two_ioasids(struct __test_metadata *_metadata,
			    struct nth_ctx *c)
{
	int i;

	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, ioasid_alloc(c->fd, &c->id[i]));
		ASSERT_EQ(0, map_fixed(c->fd, c->id[i], c->buf[i],
				       c->len, IOVA_A));
	}
}

/*
 * Runs @op with the 1st, 2nd, ... injection point failing until it
 * succeeds without reaching the armed one, and reports how many points
 * it went through.
 */
static void run_nth(struct __test_metadata *_metadata,
		    struct nth_ctx *c, const struct nth_op *op)
{
	unsigned int n;

	snapshot(_metadata, c);
	for (n = 1; n <= MAX_NTH; n++) {
		bool hit;
		int ret;

		if (op->prepare)
			op->prepare(_metadata, c);
		ASSERT_TRUE(nth_arm(c->nth, n));
		ret = op->run(c);
		ASSERT_TRUE(nth_disarm(c->nth, &hit));

		if (ret) {
			ASSERT_TRUE(hit)
				TH_LOG("failed with %s, no failure injected",
				       strerror(ret));
			ASSERT_TRUE(errno_ok(c, op, ret))
				TH_LOG("failure %u gave %s", n, strerror(ret));
		} else {
			/* A failure the operation recovered from, or none. */
			op->check(_metadata, c, true);
			if (op->undo)
				op->undo(_metadata, c);
		}
		op->check(_metadata, c, false);
		check_fd(_metadata, c);
		if (!ret && !hit) {
			TH_LOG("%u fault injection points", n - 1);
			return;
		}
	}
	ASSERT_TRUE(false) TH_LOG("still failing after %u points", MAX_NTH);
}

/* IOASID_ALLOC */

static int alloc_run(struct nth_ctx *c)
{
	return ioasid_alloc(c->fd, &c->out);
}

static void alloc_check(struct __test_metadata *_metadata,
			struct nth_ctx *c, bool done)
{
	if (done)
		ASSERT_EQ(c->free_id, c->out);
}

static void destroy_out(struct __test_metadata *_metadata,
			struct nth_ctx *c)
{
	ASSERT_EQ(0, ioasid_destroy(c->fd, c->out));
}

TEST_F(nth, alloc)
{
	struct nth_ctx *c = &self->ctx;
	const struct nth_op op = {
		.run = alloc_run,
		.check = alloc_check,
		.undo = destroy_out,
	};

	/* A hole below the ids in use: the new IOASID must fill it. */
	ASSERT_EQ(0, ioasid_alloc(c->fd, &c->id[0]));
	ASSERT_EQ(0, ioasid_alloc(c->fd, &c->id[1]));
	ASSERT_EQ(0, ioasid_destroy(c->fd, c->id[0]));
	run_nth(_metadata, c, &op);
}

/* IOASID_MAP of PAGES pages at IOVA_A of id[0] */

static int map_run(struct nth_ctx *c)
{
	return map_fixed(c->fd, c->id[0], c->buf[0], c->len,
			 IOVA_A);
}

static void map_undo(struct __test_metadata *_metadata,
		     struct nth_ctx *c)
{
	uint64_t out;

	ASSERT_EQ(0, unmap_range(c->fd, c->id[0], IOVA_A, c->len,
				 &out));
	ASSERT_EQ(c->len, out);
}

static void map_check(struct __test_metadata *_metadata,
		      struct nth_ctx *c, bool done)
{
	uint64_t last = IOVA_A + c->len - c->page;
	int i;

	if (done) {
		ASSERT_EQ(c->fd_pages + PAGES, fd_pages(c->fd));
	} else {
		ASSERT_EQ(ENOENT, unmap_range(c->fd, c->id[0], IOVA_A,
					      c->len, NULL));
	}
	/* Every table holds all of the mapping, or none of it. */
	for (i = 0; i < 2 && c->dev[i]; i++) {
		ASSERT_EQ(done ? 0 : ENOENT,
			  iopte_err(c->fd, c->dev[i], 0, IOVA_A));
		ASSERT_EQ(done ? 0 : ENOENT,
			  iopte_err(c->fd, c->dev[i], 0, last));
		if (done)
			ASSERT_TRUE(pasid_sees(c->fd, c->dev[i], 0, IOVA_A,
					       c->buf[0], c->len));
	}
}

/*
 * A device on each of @tables tables of id[0]: the first IOMMU has the
 * default page sizes, the second CPU pages only, so it cannot share the
 * first device's table.
 */
static void attach_tables(struct __test_metadata *_metadata,
			  struct nth_ctx *c, int tables)
{
	const uint64_t pgsizes[2] = { 0, c->page };
	int i;

	for (i = 0; i < tables; i++) {
		ASSERT_EQ(0, new_mock_device(c->fd, pgsizes[i], 0, &c->dev[i]));
		ASSERT_EQ(0, mock_attach(c->fd, c->dev[i], c->id[0]));
	}
}

TEST_F(nth_tables, map)
{
	struct nth_ctx *c = &self->ctx;
	const struct nth_op op = {
		.run = map_run,
		.check = map_check,
		.undo = map_undo,
	};

	ASSERT_EQ(0, ioasid_alloc(c->fd, &c->id[0]));
	attach_tables(_metadata, c, variant->tables);
	run_nth(_metadata, c, &op);
}

/* IOASID_COPY of id[0]'s mapping at IOVA_A to IOVA_B of id[1] */

static int copy_run(struct nth_ctx *c)
{
	return copy_fixed(c->fd, c->id[1], c->id[0], IOVA_A,
			  c->len, IOVA_B);
}

static void copy_check(struct __test_metadata *_metadata,
		       struct nth_ctx *c, bool done)
{
	uint64_t last = IOVA_B + c->len - c->page;

	ASSERT_EQ(done ? 0 : ENOENT,
		  iopte_err(c->fd, c->dev[0], 0, IOVA_B));
	ASSERT_EQ(done ? 0 : ENOENT,
		  iopte_err(c->fd, c->dev[0], 0, last));
	if (done) {
		ASSERT_TRUE(pasid_sees(c->fd, c->dev[0], 0, IOVA_B,
				       c->buf[0], c->len));
	} else {
		ASSERT_EQ(ENOENT, unmap_range(c->fd, c->id[1], IOVA_B,
					      c->len, NULL));
	}
}

static void copy_undo(struct __test_metadata *_metadata,
		      struct nth_ctx *c)
{
	uint64_t out;

	ASSERT_EQ(0, unmap_range(c->fd, c->id[1], IOVA_B, c->len,
				 &out));
	ASSERT_EQ(c->len, out);
}

static const struct nth_op copy_op = {
	.run = copy_run,
	.check = copy_check,
	.undo = copy_undo,
};

/*
 * id[0] with buf[0] mapped at IOVA_A, and id[1] with a device attached;
 * id[0] has a device of its own when @source_attached.
 */
static void copy_setup(struct __test_metadata *_metadata, struct nth_ctx *c,
		       bool source_attached)
{
	ASSERT_EQ(0, ioasid_alloc(c->fd, &c->id[0]));
	ASSERT_EQ(0, ioasid_alloc(c->fd, &c->id[1]));
	ASSERT_EQ(0, new_mock_device(c->fd, 0, 0, &c->dev[0]));
	ASSERT_EQ(0, mock_attach(c->fd, c->dev[0], c->id[1]));
	if (source_attached) {
		ASSERT_EQ(0, new_mock_device(c->fd, 0, 0, &c->dev[1]));
		ASSERT_EQ(0, mock_attach(c->fd, c->dev[1], c->id[0]));
	}
	ASSERT_EQ(0, map_fixed(c->fd, c->id[0], c->buf[0], c->len,
			       IOVA_A));
}

/*
 * buf[0] becomes pages alternating between two frames, which the IOMMU
 * page tables alone hold once mapped with a device attached.
 */
static void scatter_buf0(struct __test_metadata *_metadata,
			 struct nth_ctx *c)
{
	ASSERT_EQ(0, munmap(c->buf[0], c->len));
	c->buf[0] = alternating_buf(PAGES, c->page, 0x1a, 0x2b);
	ASSERT_NE(NULL, c->buf[0]);
}

/*
 * Scattered, the source has a device so that its table holds the frames:
 * the copy reads them back from it.
 */
TEST_F(nth_memory, copy)
{
	struct nth_ctx *c = &self->ctx;

	if (variant->scattered)
		scatter_buf0(_metadata, c);
	copy_setup(_metadata, c, variant->scattered);
	if (variant->scattered)
		ASSERT_EQ(PAGES, table_pages(c->fd));
	run_nth(_metadata, c, &copy_op);
}

/*
 * IOASID_UNMAP of a range holding four mappings of a quarter of buf[0]
 * each, with a hole of the same size after each.
 */

static uint64_t piece_iova(struct nth_ctx *c, int i)
{
	return IOVA_A + 2 * i * (c->len / 4);
}

static void map_pieces(struct __test_metadata *_metadata,
		       struct nth_ctx *c)
{
	uint64_t quarter = c->len / 4;
	int i;

	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, map_fixed(c->fd, c->id[0],
				       c->buf[0] + i * quarter, quarter,
				       piece_iova(c, i)));
}

static int unmap_run(struct nth_ctx *c)
{
	return unmap_range(c->fd, c->id[0], IOVA_A, 2 * c->len,
			   &c->out_len);
}

static void unmap_check(struct __test_metadata *_metadata,
			struct nth_ctx *c, bool done)
{
	uint64_t quarter = c->len / 4;
	int i, d;

	if (done)
		ASSERT_EQ(c->len, c->out_len);
	for (i = 0; i < 4; i++) {
		for (d = 0; d < 2; d++) {
			uint64_t iova = piece_iova(c, i);

			if (done) {
				ASSERT_EQ(ENOENT, iopte_err(c->fd,
							    c->dev[d], 0,
							    iova));
				continue;
			}
			ASSERT_TRUE(pasid_sees(c->fd, c->dev[d], 0, iova,
					       c->buf[0] + i * quarter, quarter));
		}
	}
}

static const struct nth_op unmap_op = {
	.run = unmap_run,
	.check = unmap_check,
	.undo = map_pieces,
};

/* The pieces in id[0], with a device on each of two tables. */
static void map_pieces_two_tables(struct __test_metadata *_metadata,
				  struct nth_ctx *c)
{
	ASSERT_EQ(0, ioasid_alloc(c->fd, &c->id[0]));
	attach_tables(_metadata, c, 2);
	map_pieces(_metadata, c);
}

/* Scattered, each mapping is read back from the tables as it is unmapped. */
TEST_F(nth_memory, unmap_several)
{
	struct nth_ctx *c = &self->ctx;

	if (variant->scattered)
		scatter_buf0(_metadata, c);
	map_pieces_two_tables(_metadata, c);
	if (variant->scattered)
		ASSERT_EQ(PAGES, table_pages(c->fd));
	run_nth(_metadata, c, &unmap_op);
}

/*
 * Dirty tracking of the pieces in id[0], with a device on each of two
 * tables and the second page of each piece written, through the devices
 * in turn.  A read or an unmap with the dirty pages that fails reads and
 * clears nothing, and unmaps nothing; one that succeeds reports exactly
 * the pages written.
 */

/* Bits for IOVA_A up to the end of the last piece's hole, 2 * PAGES. */
static uint64_t nth_dirty_bits[2 * PAGES / 64 + 1];

static void dirty_write_pieces(struct __test_metadata *_metadata,
			       struct nth_ctx *c)
{
	uint8_t byte = 0x3c;
	int i;

	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, do_dma(c->fd, c->dev[i % 2], 0,
				    piece_iova(c, i) + c->page, &byte, 1, 1,
				    NULL));
	memset(nth_dirty_bits, 0, sizeof(nth_dirty_bits));
}

static uint64_t dirty_bits_set(void)
{
	uint64_t bits = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(nth_dirty_bits); i++)
		bits += __builtin_popcountll(nth_dirty_bits[i]);
	return bits;
}

/* Whether the bits, and the IOPTEs, say the pieces were written. */
static void dirty_check(struct __test_metadata *_metadata,
			struct nth_ctx *c, bool done)
{
	struct iopte pte;
	int i, d;

	ASSERT_EQ(done ? 4ULL : 0ULL, dirty_bits_set());
	for (i = 0; i < 4; i++) {
		uint64_t page = (piece_iova(c, i) - IOVA_A) / c->page + 1;

		ASSERT_TRUE(!done || (nth_dirty_bits[page / 64] &
				      (1ULL << (page % 64))));
		for (d = 0; d < 2; d++) {
			if (read_iopte(c->fd, c->dev[d], 0,
				       piece_iova(c, i) + c->page, &pte))
				continue;
			ASSERT_EQ(done || d != i % 2 ? 0 : IOASID_MOCK_PTE_DIRTY,
				  pte.flags & IOASID_MOCK_PTE_DIRTY);
		}
	}
}

static int dirty_read_run(struct nth_ctx *c)
{
	struct ioasid_dirty_read cmd = {
		.size = sizeof(cmd),
		.ioasid = c->id[0],
		.iova = IOVA_A,
		.length = 2 * c->len,
		.page_size = c->page,
		.bitmap = (uintptr_t)nth_dirty_bits,
	};

	return ioctl(c->fd, IOASID_DIRTY_READ, &cmd) ? errno : 0;
}

static void dirty_read_check(struct __test_metadata *_metadata,
			     struct nth_ctx *c, bool done)
{
	dirty_check(_metadata, c, done);
	unmap_check(_metadata, c, false);
}

static const struct nth_op dirty_read_op = {
	.run = dirty_read_run,
	.check = dirty_read_check,
	.undo = dirty_write_pieces,
};

static void dirty_start(struct __test_metadata *_metadata,
			struct nth_ctx *c)
{
	struct ioasid_option on = {
		.op = IOASID_OPTION_SET,
		.option = IOASID_OPTION_DIRTY_TRACKING,
		.value = 1,
	};

	map_pieces_two_tables(_metadata, c);
	on.object_id = c->id[0];
	ASSERT_EQ(0, do_option(c->fd, &on));
	dirty_write_pieces(_metadata, c);
}

TEST_F(nth, dirty_read)
{
	struct nth_ctx *c = &self->ctx;

	dirty_start(_metadata, c);
	run_nth(_metadata, c, &dirty_read_op);
}

static int dirty_unmap_run(struct nth_ctx *c)
{
	struct ioasid_unmap cmd = {
		.size = sizeof(cmd),
		.flags = IOASID_UNMAP_DIRTY,
		.ioasid = c->id[0],
		.iova = IOVA_A,
		.length = 2 * c->len,
		.dirty_page_size = c->page,
		.dirty_bitmap = (uintptr_t)nth_dirty_bits,
	};
	int ret = ioctl(c->fd, IOASID_UNMAP, &cmd) ? errno : 0;

	c->out_len = ret ? 0 : cmd.out_length;
	return ret;
}

static void dirty_unmap_check(struct __test_metadata *_metadata,
			      struct nth_ctx *c, bool done)
{
	if (!done)
		dirty_check(_metadata, c, false);
	ASSERT_EQ(done ? 4ULL : 0ULL, dirty_bits_set());
	unmap_check(_metadata, c, done);
}

static void dirty_remap_write(struct __test_metadata *_metadata,
			      struct nth_ctx *c)
{
	map_pieces(_metadata, c);
	dirty_write_pieces(_metadata, c);
}

static const struct nth_op dirty_unmap_op = {
	.run = dirty_unmap_run,
	.check = dirty_unmap_check,
	.undo = dirty_remap_write,
};

TEST_F(nth, dirty_unmap)
{
	struct nth_ctx *c = &self->ctx;

	dirty_start(_metadata, c);
	run_nth(_metadata, c, &dirty_unmap_op);
}

/*
 * Detaching dev[0], whose table alone holds the frames of buf[0] mapped
 * in id[0]: it cannot fail, allocates nothing large and loses no frame,
 * whatever allocation fails.  dev[1], which needs a table of its own,
 * then finds the frames through the table kept for them.
 */

static int detach_run(struct nth_ctx *c)
{
	return mock_detach(c->fd, c->dev[0]);
}

static void detach_check(struct __test_metadata *_metadata,
			 struct nth_ctx *c, bool done)
{
	ASSERT_EQ(PAGES, table_pages(c->fd));
	if (!done) {
		ASSERT_TRUE(pasid_sees(c->fd, c->dev[0], 0, IOVA_A, c->buf[0],
				       c->len));
		return;
	}
	ASSERT_EQ(ENODEV, iopte_err(c->fd, c->dev[0], 0, IOVA_A));
	ASSERT_EQ(0, mock_attach(c->fd, c->dev[1], c->id[0]));
	ASSERT_TRUE(pasid_sees(c->fd, c->dev[1], 0, IOVA_A, c->buf[0],
			       c->len));
	ASSERT_EQ(0, mock_detach(c->fd, c->dev[1]));
}

static void detach_undo(struct __test_metadata *_metadata,
			struct nth_ctx *c)
{
	ASSERT_EQ(0, mock_attach(c->fd, c->dev[0], c->id[0]));
}

TEST_F(nth, detach_from_table)
{
	struct nth_ctx *c = &self->ctx;
	const struct nth_op op = {
		.run = detach_run,
		.check = detach_check,
		.undo = detach_undo,
	};

	scatter_buf0(_metadata, c);
	ASSERT_EQ(0, ioasid_alloc(c->fd, &c->id[0]));
	ASSERT_EQ(0, new_mock_device(c->fd, 0, 0, &c->dev[0]));
	ASSERT_EQ(0, new_mock_device(c->fd, c->page, 0, &c->dev[1]));
	ASSERT_EQ(0, mock_attach(c->fd, c->dev[0], c->id[0]));
	ASSERT_EQ(0, map_fixed(c->fd, c->id[0], c->buf[0], c->len, IOVA_A));
	run_nth(_metadata, c, &op);
}

/* IOASID_SET_ALLOWED_RANGES, narrowing id[0], which has a mapping */

static const struct ioasid_iova_range narrow[] = {
	{ IOVA_A, IOVA_A + SZ_1M - 1 },
	{ SZ_1G, 2 * SZ_1G - 1 },
};

static int allowed_run(struct nth_ctx *c)
{
	return set_allowed(c->fd, c->id[0], narrow, 2);
}

static void allowed_check(struct __test_metadata *_metadata,
			  struct nth_ctx *c, bool done)
{
	struct ioasid_iova_range got[8] = {};
	uint32_t n = 8;

	ASSERT_EQ(0, get_ranges(c->fd, c->id[0], got, &n, NULL));
	if (done) {
		ASSERT_EQ(2U, n);
		ASSERT_EQ(0, memcmp(got, narrow, sizeof(narrow)));
	} else {
		ASSERT_EQ(c->nr_ranges, n);
		ASSERT_EQ(0, memcmp(got, c->ranges, n * sizeof(*got)));
	}
	ASSERT_TRUE(pasid_sees(c->fd, c->dev[0], 0, IOVA_A, c->buf[0],
			       c->len));
}

static void allowed_undo(struct __test_metadata *_metadata,
			 struct nth_ctx *c)
{
	static const struct ioasid_iova_range all[] = { { 0, UINT64_MAX } };

	ASSERT_EQ(0, set_allowed(c->fd, c->id[0], all, 1));
}

TEST_F(nth, set_allowed_ranges)
{
	struct nth_ctx *c = &self->ctx;
	const struct nth_op op = {
		.run = allowed_run,
		.check = allowed_check,
		.undo = allowed_undo,
	};

	ASSERT_EQ(0, ioasid_alloc(c->fd, &c->id[0]));
	ASSERT_EQ(0, new_mock_device(c->fd, 0, 0, &c->dev[0]));
	ASSERT_EQ(0, mock_attach(c->fd, c->dev[0], c->id[0]));
	ASSERT_EQ(0, map_fixed(c->fd, c->id[0], c->buf[0], c->len,
			       IOVA_A));
	c->nr_ranges = 8;
	ASSERT_EQ(0, get_ranges(c->fd, c->id[0], c->ranges,
				&c->nr_ranges, NULL));
	run_nth(_metadata, c, &op);
}

/* IOASID_IOVA_RANGES of id[0], split by a device's reserved region */

static int ranges_run(struct nth_ctx *c)
{
	c->nr_got = 8;
	return get_ranges(c->fd, c->id[0], c->got, &c->nr_got,
			  NULL);
}

static void ranges_check(struct __test_metadata *_metadata,
			 struct nth_ctx *c, bool done)
{
	if (!done)
		return;
	ASSERT_EQ(c->nr_ranges, c->nr_got);
	ASSERT_EQ(0, memcmp(c->got, c->ranges,
			    c->nr_got * sizeof(c->got[0])));
}

TEST_F(nth, iova_ranges)
{
	struct nth_ctx *c = &self->ctx;
	const struct nth_op op = {
		.run = ranges_run,
		.check = ranges_check,
	};
	struct ioasid_test cmd = {
		.mock_device.resv_start = SZ_1G,
		.mock_device.resv_length = SZ_1M,
	};

	ASSERT_EQ(0, ioasid_alloc(c->fd, &c->id[0]));
	ASSERT_EQ(0, do_mock_device(c->fd, &cmd, &c->dev[0]));
	ASSERT_EQ(0, mock_attach(c->fd, c->dev[0], c->id[0]));
	c->nr_ranges = 8;
	ASSERT_EQ(0, get_ranges(c->fd, c->id[0], c->ranges,
				&c->nr_ranges, NULL));
	ASSERT_EQ(2U, c->nr_ranges);
	run_nth(_metadata, c, &op);
}

/*
 * IOASID_TEST_MOCK_DEVICE, of a device without PASIDs: the PASID width is a
 * software-node property, and in 6.12 the driver core's software-node code
 * drops a reference it never took when creating its sysfs link fails
 * (software_node_notify()), a use-after-free that injection reaches.
 */

static int create_run(struct nth_ctx *c)
{
	struct ioasid_test cmd = {};
	int ret = do_mock_device(c->fd, &cmd, &c->out);

	c->out_dev = cmd.mock_device.out_dev_id;
	return ret;
}

/* The binding takes the lowest free id, the mock object the next. */
static void create_check(struct __test_metadata *_metadata,
			 struct nth_ctx *c, bool done)
{
	if (!done)
		return;
	ASSERT_EQ(c->free_id, c->out_dev);
	ASSERT_LT(c->out_dev, c->out);
	ASSERT_EQ(c->devices + 1, count_mock_devices());
	ASSERT_EQ(0, mock_attach(c->fd, c->out, c->id[0]));
	ASSERT_TRUE(pasid_sees(c->fd, c->out, 0, IOVA_A, c->buf[0],
			       c->len));
}

TEST_F_TIMEOUT(nth, mock_device_create, 120)
{
	struct nth_ctx *c = &self->ctx;
	const struct nth_op op = {
		.run = create_run,
		.check = create_check,
		.undo = destroy_out,
		.other_errno = ENODEV,
	};

	ASSERT_EQ(0, ioasid_alloc(c->fd, &c->id[0]));
	ASSERT_EQ(0, map_fixed(c->fd, c->id[0], c->buf[0], c->len,
			       IOVA_A));
	run_nth(_metadata, c, &op);
}

/* IOASID_TEST_ATTACH of dev[0] to id[0], which has a mapping to fill */

static int attach_run(struct nth_ctx *c)
{
	return mock_attach(c->fd, c->dev[0], c->id[0]);
}

static void attach_check(struct __test_metadata *_metadata,
			 struct nth_ctx *c, bool done)
{
	if (!done) {
		ASSERT_EQ(ENODEV, iopte_err(c->fd, c->dev[0], 0,
					    IOVA_A));
		return;
	}
	ASSERT_TRUE(pasid_sees(c->fd, c->dev[0], 0, IOVA_A, c->buf[0],
			       c->len));
	ASSERT_TRUE(pasid_sees(c->fd, c->dev[0], 0, IOVA_B, c->buf[1],
			       c->len));
	/* An IOASID a device is attached to cannot be destroyed. */
	ASSERT_EQ(EBUSY, ioasid_destroy(c->fd, c->id[0]));
}

static void attach_undo(struct __test_metadata *_metadata,
			struct nth_ctx *c)
{
	ASSERT_EQ(0, mock_detach(c->fd, c->dev[0]));
}

TEST_F(nth, attach)
{
	struct nth_ctx *c = &self->ctx;
	const struct nth_op op = {
		.run = attach_run,
		.check = attach_check,
		.undo = attach_undo,
	};

	ASSERT_EQ(0, ioasid_alloc(c->fd, &c->id[0]));
	ASSERT_EQ(0, new_mock_device(c->fd, 0, 0, &c->dev[0]));
	ASSERT_EQ(0, map_fixed(c->fd, c->id[0], c->buf[0], c->len,
			       IOVA_A));
	ASSERT_EQ(0, map_fixed(c->fd, c->id[0], c->buf[1], c->len,
			       IOVA_B));
	run_nth(_metadata, c, &op);
}

/*
 * IOASID_ALLOC of a nested IOASID on id[0] for dev[0], whose binding id is
 * id[1]: the parent gets a table to nest on, filled with its mappings.
 * With a fault queue in c->queue, the nested IOASID's page requests go
 * there.
 */
static int nested_run(struct nth_ctx *c)
{
	struct ioasid_mock_s1 s1 = { .table = IOVA_A, .entries = PAGES };
	struct ioasid_alloc cmd = {
		.size = sizeof(cmd),
		.flags = IOASID_ALLOC_NESTED |
			 (c->queue ? IOASID_ALLOC_FAULT_QUEUE : 0),
		.parent = c->id[0],
		.dev_id = c->id[1],
		.format = IOASID_NEST_FORMAT_MOCK,
		.data_len = sizeof(s1),
		.data = (uintptr_t)&s1,
		.fault_queue = c->queue,
	};
	int ret = ioctl(c->fd, IOASID_ALLOC, &cmd) ? errno : 0;

	c->out = ret ? 0 : cmd.out_ioasid;
	return ret;
}

/* The parent's tables, as fdinfo counts them. */
static uint64_t parent_tables(struct __test_metadata *_metadata,
			      struct nth_ctx *c)
{
	const struct view_ioas *ioas;
	struct view_fdinfo fi = {};
	uint64_t tables = UINT64_MAX;

	EXPECT_EQ(0, fdinfo_read(getpid(), c->fd, &fi));
	EXPECT_EQ(0, fdinfo_check(&fi));
	ioas = fdinfo_ioas(&fi, c->id[0]);
	if (ioas)
		tables = ioas->tables;
	fdinfo_free(&fi);
	return tables;
}

static void nested_check(struct __test_metadata *_metadata,
			 struct nth_ctx *c, bool done)
{
	/* The table to nest on stays only while a nested IOASID is on it. */
	ASSERT_EQ(done ? 1 : 0, parent_tables(_metadata, c));
	if (!done)
		return;
	ASSERT_EQ(c->free_id, c->out);
	ASSERT_EQ(0, mock_attach(c->fd, c->dev[0], c->out));
	ASSERT_EQ(0, mock_detach(c->fd, c->dev[0]));
	ASSERT_EQ(EBUSY, ioasid_destroy(c->fd, c->id[0]));
}

/* id[0] with buf[0] mapped at IOVA_A, and dev[0], bound as id[1]. */
static void nested_setup(struct __test_metadata *_metadata,
			 struct nth_ctx *c)
{
	struct ioasid_test cmd = {};

	ASSERT_EQ(0, ioasid_alloc(c->fd, &c->id[0]));
	ASSERT_EQ(0, do_mock_device(c->fd, &cmd, &c->dev[0]));
	c->id[1] = cmd.mock_device.out_dev_id;
	ASSERT_EQ(0, map_fixed(c->fd, c->id[0], c->buf[0], c->len,
			       IOVA_A));
}

TEST_F(nth, nested)
{
	struct nth_ctx *c = &self->ctx;
	const struct nth_op op = {
		.run = nested_run,
		.check = nested_check,
		.undo = destroy_out,
	};

	nested_setup(_metadata, c);
	run_nth(_metadata, c, &op);
}

/* IOASID_TEST_ATTACH of dev[0] to the nested IOASID nth.nested made */

static int attach_nested_run(struct nth_ctx *c)
{
	return mock_attach(c->fd, c->dev[0], c->out);
}

static void attach_nested_check(struct __test_metadata *_metadata,
				struct nth_ctx *c, bool done)
{
	struct ioasid_device_info info;

	ASSERT_EQ(0, device_info(c->fd, c->id[1], &info));
	if (!done) {
		ASSERT_EQ(0U, info.out_flags & IOASID_DEVICE_ATTACHED);
		ASSERT_EQ(0, ioasid_destroy(c->fd, c->out));
		ASSERT_EQ(0, nested_run(c));
		return;
	}
	ASSERT_NE(0U, info.out_flags & IOASID_DEVICE_ATTACHED);
	ASSERT_EQ(c->out, info.out_ioasid);
	ASSERT_EQ(EBUSY, ioasid_destroy(c->fd, c->out));
}

static void attach_nested_undo(struct __test_metadata *_metadata,
			       struct nth_ctx *c)
{
	ASSERT_EQ(0, mock_detach(c->fd, c->dev[0]));
}

TEST_F(nth, attach_nested)
{
	struct nth_ctx *c = &self->ctx;
	const struct nth_op op = {
		.run = attach_nested_run,
		.check = attach_nested_check,
		.undo = attach_nested_undo,
	};

	nested_setup(_metadata, c);
	ASSERT_EQ(0, nested_run(c));
	run_nth(_metadata, c, &op);
}

/* The lowest fd number free in this process. */
static int lowest_free_fd(void)
{
	int fd = dup(0);

	if (fd >= 0)
		close(fd);
	return fd;
}

/* IOASID_FAULT_QUEUE_ALLOC, into out and qfd */

static int fault_queue_run(struct nth_ctx *c)
{
	struct ioasid_fault_queue_alloc cmd = {
		.size = sizeof(cmd),
		.depth = 4,
		.record_len = sizeof(struct ioasid_fault),
	};
	int ret = ioctl(c->fd, IOASID_FAULT_QUEUE_ALLOC, &cmd) ? errno : 0;

	c->out = ret ? 0 : cmd.out_id;
	c->qfd = ret ? -1 : cmd.out_fd;
	return ret;
}

static void fault_queue_check(struct __test_metadata *_metadata,
			      struct nth_ctx *c, bool done)
{
	if (!done) {
		/* Neither an fd nor an id is left behind. */
		ASSERT_EQ(c->free_fd, lowest_free_fd());
		return;
	}
	ASSERT_EQ(c->free_id, c->out);
	ASSERT_EQ(FD_CLOEXEC, fcntl(c->qfd, F_GETFD));
	ASSERT_EQ(EBUSY, ioasid_destroy(c->fd, c->out));
}

static void fault_queue_undo(struct __test_metadata *_metadata,
			     struct nth_ctx *c)
{
	ASSERT_EQ(0, close(c->qfd));
	c->qfd = -1;
	ASSERT_EQ(0, ioasid_destroy(c->fd, c->out));
}

TEST_F(nth, fault_queue)
{
	struct nth_ctx *c = &self->ctx;
	const struct nth_op op = {
		.run = fault_queue_run,
		.check = fault_queue_check,
		.undo = fault_queue_undo,
	};

	c->free_fd = lowest_free_fd();
	ASSERT_LE(0, c->free_fd);
	run_nth(_metadata, c, &op);
}

/* nested_setup(), and a fault queue, in c->queue, for nested_run(). */
static void nested_fault_setup(struct __test_metadata *_metadata,
			       struct nth_ctx *c)
{
	nested_setup(_metadata, c);
	ASSERT_EQ(0, fault_queue_run(c));
	c->queue = c->out;
}

static void nested_fault_check(struct __test_metadata *_metadata,
			       struct nth_ctx *c, bool done)
{
	nested_check(_metadata, c, done);
	/* The queue is held by the nested IOASID as by its fd. */
	ASSERT_EQ(EBUSY, ioasid_destroy(c->fd, c->queue));
}

TEST_F(nth, nested_fault)
{
	struct nth_ctx *c = &self->ctx;
	const struct nth_op op = {
		.run = nested_run,
		.check = nested_fault_check,
		.undo = destroy_out,
	};

	nested_fault_setup(_metadata, c);
	run_nth(_metadata, c, &op);
}

/*
 * IOASID_TEST_ATTACH of dev[0] to the nested IOASID nth.nested_fault
 * made: the device's page requests are enabled.
 */
TEST_F(nth, attach_fault)
{
	struct nth_ctx *c = &self->ctx;
	const struct nth_op op = {
		.run = attach_nested_run,
		.check = attach_nested_check,
		.undo = attach_nested_undo,
	};

	nested_fault_setup(_metadata, c);
	ASSERT_EQ(0, nested_run(c));
	run_nth(_metadata, c, &op);
}

/*
 * A DMA of dev[0] through the nested IOASID of nth.attach_fault to
 * stage-1 page 0, whose entry, the first of buf[0], is not present: the
 * device requests the page, and a thread not armed makes it present and
 * answers.  A failure to queue the request is answered as a failure, so
 * the DMA fails with EIO.
 */
#define NTH_S1_PRESENT_READ	(IOASID_MOCK_S1_PRESENT | IOASID_MOCK_S1_READ)

static int invalidate_s1_page0(struct nth_ctx *c)
{
	struct ioasid_mock_s1_invalidate inv = { .iova = 0, .npages = 1 };
	struct ioasid_invalidate cmd = {
		.size = sizeof(cmd),
		.ioasid = c->out,
		.entry_len = sizeof(inv),
		.entry_num = 1,
		.entries = (uintptr_t)&inv,
	};

	return ioctl(c->fd, IOASID_INVALIDATE, &cmd) ? errno : 0;
}

static void *page_request_answer(void *arg)
{
	struct nth_ctx *c = arg;
	struct pollfd pfd[2] = {
		{ .fd = c->qfd, .events = POLLIN },
		{ .fd = c->stop[0], .events = POLLIN },
	};
	struct ioasid_fault_response resp = {
		.code = IOASID_FAULT_RESPONSE_SUCCESS,
	};
	struct ioasid_fault rec;

	if (poll(pfd, 2, 5000) != 1 || !(pfd[0].revents & POLLIN) ||
	    read(c->qfd, &rec, sizeof(rec)) != sizeof(rec))
		return NULL;
	*(uint64_t *)c->buf[0] = IOVA_A | NTH_S1_PRESENT_READ;
	if (invalidate_s1_page0(c))
		return NULL;
	resp.cookie = rec.cookie;
	if (write(c->qfd, &resp, sizeof(resp)) != sizeof(resp))
		return NULL;
	return c;
}

static void page_request_prepare(struct __test_metadata *_metadata,
				 struct nth_ctx *c)
{
	*(uint64_t *)c->buf[0] = 0;
	ASSERT_EQ(0, invalidate_s1_page0(c));
	ASSERT_EQ(0, pthread_create(&c->responder, NULL,
				    page_request_answer, c));
}

static int page_request_run(struct nth_ctx *c)
{
	uint8_t byte;
	int ret;

	c->dma = (struct ioasid_test){
		.op = IOASID_TEST_DMA,
		.id = c->dev[0],
		.dma.iova = 0,
		.dma.length = 1,
		.dma.uptr = (uintptr_t)&byte,
		.dma.wait_ms = 5000,
	};
	ret = do_test(c->fd, &c->dma);
	/* Stop the thread, which waits for a request that never came. */
	if (write(c->stop[1], "", 1) != 1)
		return EPIPE;
	pthread_join(c->responder, NULL);
	if (read(c->stop[0], &byte, 1) != 1)
		return EPIPE;
	return ret;
}

static void page_request_check(struct __test_metadata *_metadata,
			       struct nth_ctx *c, bool done)
{
	/* A failed DMA left nothing behind that check_fd() cannot see. */
	if (!done)
		return;
	ASSERT_EQ(1U, c->dma.dma.out_page_requests);
	ASSERT_EQ((uint32_t)IOASID_FAULT_RESPONSE_SUCCESS,
		  c->dma.dma.out_response);
}

TEST_F(nth, page_request)
{
	struct nth_ctx *c = &self->ctx;
	const struct nth_op op = {
		.prepare = page_request_prepare,
		.run = page_request_run,
		.check = page_request_check,
		.other_errno = EIO,
	};

	ASSERT_EQ(0, pipe(c->stop));
	nested_fault_setup(_metadata, c);
	ASSERT_EQ(0, nested_run(c));
	ASSERT_EQ(0, mock_attach(c->fd, c->dev[0], c->out));
	run_nth(_metadata, c, &op);
}

/* IOASID_DEVICE_INFO of dev[0], bound as id[1], with its IOMMU's report */

static int device_info_run(struct nth_ctx *c)
{
	struct ioasid_device_info info = {
		.size = sizeof(info),
		.dev_id = c->id[1],
		.hw_info_len = sizeof(c->report),
		.hw_info = (uintptr_t)c->report,
	};

	memset(c->report, 0xa5, sizeof(c->report));
	return ioctl(c->fd, IOASID_DEVICE_INFO, &info) ? errno : 0;
}

static void device_info_check(struct __test_metadata *_metadata,
			      struct nth_ctx *c, bool done)
{
	if (done) {
		ASSERT_EQ(1ULL << IOASID_NEST_FORMAT_MOCK, c->report[0]);
		ASSERT_EQ(0ULL, c->report[1]);
	}
}

TEST_F(nth, device_info)
{
	struct nth_ctx *c = &self->ctx;
	const struct nth_op op = {
		.run = device_info_run,
		.check = device_info_check,
	};

	nested_setup(_metadata, c);
	run_nth(_metadata, c, &op);
}

/*
 * IOASID_TEST_ATTACH of dev[0], whose IOMMU refuses no-snoop DMA, to id[0],
 * whose table of dev[1] does not refuse it: dev[0] gets a table of its own.
 */
TEST_F(nth, attach_snoop_table)
{
	struct nth_ctx *c = &self->ctx;
	const struct nth_op op = {
		.run = attach_run,
		.check = attach_check,
		.undo = attach_undo,
	};
	struct ioasid_test cmd = {
		.mock_device.flags = IOASID_MOCK_ENFORCE_SNOOP,
	};

	ASSERT_EQ(0, ioasid_alloc(c->fd, &c->id[0]));
	ASSERT_EQ(0, do_mock_device(c->fd, &cmd, &c->dev[0]));
	ASSERT_EQ(0, new_mock_device(c->fd, 0, 0, &c->dev[1]));
	ASSERT_EQ(0, mock_attach(c->fd, c->dev[1], c->id[0]));
	ASSERT_EQ(0, map_fixed(c->fd, c->id[0], c->buf[0], c->len,
			       IOVA_A));
	ASSERT_EQ(0, map_fixed(c->fd, c->id[0], c->buf[1], c->len,
			       IOVA_B));
	run_nth(_metadata, c, &op);
	ASSERT_TRUE(pasid_sees(c->fd, c->dev[1], 0, IOVA_A, c->buf[0],
			       c->len));
}

/* IOASID_TEST_ATTACH moving dev[0] from id[0] to id[1] */

static int move_run(struct nth_ctx *c)
{
	return mock_attach(c->fd, c->dev[0], c->id[1]);
}

static void move_check(struct __test_metadata *_metadata,
		       struct nth_ctx *c, bool done)
{
	ASSERT_TRUE(pasid_sees(c->fd, c->dev[0], 0, IOVA_A,
			       c->buf[done ? 1 : 0], c->len));
	/* Only the IOASID the device is attached to is in use. */
	ASSERT_EQ(EBUSY, ioasid_destroy(c->fd, c->id[done ? 1 : 0]));
}

static void move_undo(struct __test_metadata *_metadata,
		      struct nth_ctx *c)
{
	ASSERT_EQ(0, mock_attach(c->fd, c->dev[0], c->id[0]));
}

TEST_F(nth, move)
{
	struct nth_ctx *c = &self->ctx;
	const struct nth_op op = {
		.run = move_run,
		.check = move_check,
		.undo = move_undo,
	};

	map_two_ioasids(_metadata, c);
	ASSERT_EQ(0, new_mock_device(c->fd, 0, 0, &c->dev[0]));
	ASSERT_EQ(0, mock_attach(c->fd, c->dev[0], c->id[0]));
	run_nth(_metadata, c, &op);
}

/* IOASID_TEST_ATTACH_PASID of PASID 1 of dev[0] to id[0] */

static int pasid_run(struct nth_ctx *c)
{
	return mock_attach_pasid(c->fd, c->dev[0], 1, c->id[0]);
}

static void pasid_check(struct __test_metadata *_metadata,
			struct nth_ctx *c, bool done)
{
	if (done) {
		ASSERT_TRUE(pasid_sees(c->fd, c->dev[0], 1, IOVA_A,
				       c->buf[0], c->len));
	} else {
		ASSERT_EQ(ENODEV, iopte_err(c->fd, c->dev[0], 1,
					    IOVA_A));
	}
	/* The requester ID stays where it was. */
	ASSERT_TRUE(pasid_sees(c->fd, c->dev[0], 0, IOVA_A, c->buf[1],
			       c->len));
}

static void pasid_undo(struct __test_metadata *_metadata,
		       struct nth_ctx *c)
{
	ASSERT_EQ(0, mock_detach_pasid(c->fd, c->dev[0], 1));
}

TEST_F(nth, attach_pasid)
{
	struct nth_ctx *c = &self->ctx;
	const struct nth_op op = {
		.run = pasid_run,
		.check = pasid_check,
		.undo = pasid_undo,
	};

	map_two_ioasids(_metadata, c);
	ASSERT_EQ(0, new_mock_device(c->fd, 0, 4, &c->dev[0]));
	ASSERT_EQ(0, mock_attach(c->fd, c->dev[0], c->id[1]));
	run_nth(_metadata, c, &op);
}

/*
 * IOASID_TEST_ATTACH_PASID of PASID 1 of dev[0], attached to id[1], to
 * id[0]: a move, into a table made for it, since id[0] has none yet.
 */

static int pasid_move_run(struct nth_ctx *c)
{
	return mock_attach_pasid(c->fd, c->dev[0], 1, c->id[0]);
}

static void pasid_move_check(struct __test_metadata *_metadata,
			     struct nth_ctx *c, bool done)
{
	ASSERT_TRUE(pasid_sees(c->fd, c->dev[0], 1, IOVA_A,
			       c->buf[done ? 0 : 1], c->len));
	/* The IOASID the PASID is in cannot go. */
	ASSERT_EQ(EBUSY, ioasid_destroy(c->fd, c->id[done ? 0 : 1]));
}

static void pasid_move_undo(struct __test_metadata *_metadata,
			    struct nth_ctx *c)
{
	ASSERT_EQ(0, mock_attach_pasid(c->fd, c->dev[0], 1, c->id[1]));
}

TEST_F(nth, move_pasid)
{
	struct nth_ctx *c = &self->ctx;
	const struct nth_op op = {
		.run = pasid_move_run,
		.check = pasid_move_check,
		.undo = pasid_move_undo,
	};

	map_two_ioasids(_metadata, c);
	ASSERT_EQ(0, new_mock_device(c->fd, 0, 4, &c->dev[0]));
	ASSERT_EQ(0, mock_attach_pasid(c->fd, c->dev[0], 1, c->id[1]));
	run_nth(_metadata, c, &op);
}

/*
 * IOASID_DESTROY of id[0], which maps buf[0] at IOVA_A and buf[1] at
 * IOVA_B; id[1] has a copy of the first mapping, through which dev[0]
 * keeps reaching buf[0].
 */

static int destroy_run(struct nth_ctx *c)
{
	return ioasid_destroy(c->fd, c->id[0]);
}

static void destroy_check(struct __test_metadata *_metadata,
			  struct nth_ctx *c, bool done)
{
	struct ioasid_iova_range got[8];
	uint32_t n = 8;

	ASSERT_EQ(done ? ENOENT : 0,
		  get_ranges(c->fd, c->id[0], got, &n, NULL));
	/* The copy keeps buf[0] pinned; buf[1] goes with id[0]. */
	ASSERT_EQ(c->fd_pages - (done ? PAGES : 0), fd_pages(c->fd));
	ASSERT_TRUE(pasid_sees(c->fd, c->dev[0], 0, IOVA_B, c->buf[0],
			       c->len));
}

/* id[0] and its mappings, and id[1]'s copy of the first one. */
static void destroy_setup(struct __test_metadata *_metadata,
			  struct nth_ctx *c)
{
	ASSERT_EQ(0, map_fixed(c->fd, c->id[0], c->buf[0], c->len,
			       IOVA_A));
	ASSERT_EQ(0, map_fixed(c->fd, c->id[0], c->buf[1], c->len,
			       IOVA_B));
	ASSERT_EQ(0, copy_fixed(c->fd, c->id[1], c->id[0], IOVA_A,
				c->len, IOVA_B));
}

static void destroy_undo(struct __test_metadata *_metadata,
			 struct nth_ctx *c)
{
	uint32_t id;

	ASSERT_EQ(0, ioasid_alloc(c->fd, &id));
	ASSERT_EQ(c->id[0], id);
	/* The old copy would leave buf[0] pinned twice. */
	ASSERT_EQ(0, unmap_all(c->fd, c->id[1], NULL));
	destroy_setup(_metadata, c);
}

TEST_F(nth, destroy)
{
	struct nth_ctx *c = &self->ctx;
	const struct nth_op op = {
		.run = destroy_run,
		.check = destroy_check,
		.undo = destroy_undo,
	};

	ASSERT_EQ(0, ioasid_alloc(c->fd, &c->id[0]));
	ASSERT_EQ(0, ioasid_alloc(c->fd, &c->id[1]));
	ASSERT_EQ(0, new_mock_device(c->fd, 0, 0, &c->dev[0]));
	ASSERT_EQ(0, mock_attach(c->fd, c->dev[0], c->id[1]));
	destroy_setup(_metadata, c);
	run_nth(_metadata, c, &op);
}

/*
 * close() of an fd holding mappings, copies, devices on two page tables
 * and PASIDs.  The last fput() runs when close() returns to user space,
 * in the calling thread, so a child sets up such an fd and closes it with
 * its own fail-nth armed.  What the child's fd pinned was charged to the
 * user, which the parent reads back.
 */

enum {
	CHILD_DONE,		/* the armed point was not reached */
	CHILD_HIT,		/* it was */
	CHILD_SETUP,		/* the setup failed */
	CHILD_NTH,		/* fail-nth could not be used */
};

static int close_child(struct nth_ctx *c, unsigned int n)
{
	uint32_t id[2], dev[2];
	char path[64];
	bool hit;
	int fd, nth, i;

	nth_path(path, sizeof(path));
	nth = open(path, O_RDWR | O_CLOEXEC);
	fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	if (nth < 0)
		return CHILD_NTH;
	if (fd < 0)
		return CHILD_SETUP;
	for (i = 0; i < 2; i++)
		if (ioasid_alloc(fd, &id[i]) ||
		    map_fixed(fd, id[i], c->buf[i], c->len, IOVA_A))
			return CHILD_SETUP;
	if (copy_fixed(fd, id[1], id[0], IOVA_A, c->len, IOVA_B) ||
	    new_mock_device(fd, 0, 0, &dev[0]) ||
	    new_mock_device(fd, c->page, 4, &dev[1]) ||
	    mock_attach(fd, dev[0], id[0]) ||
	    mock_attach(fd, dev[1], id[1]) ||
	    mock_attach_pasid(fd, dev[1], 1, id[0]) ||
	    mock_attach_pasid(fd, dev[1], 2, id[1]))
		return CHILD_SETUP;

	if (!nth_arm(nth, n))
		return CHILD_NTH;
	close(fd);
	if (!nth_disarm(nth, &hit))
		return CHILD_NTH;
	return hit ? CHILD_HIT : CHILD_DONE;
}

TEST_F_TIMEOUT(nth, close, 120)
{
	struct nth_ctx *c = &self->ctx;
	unsigned int n;

	snapshot(_metadata, c);
	for (n = 1; n <= MAX_NTH; n++) {
		struct pinned p;
		int status;
		pid_t pid;

		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid)
			_exit(close_child(c, n));
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(WIFEXITED(status));
		ASSERT_GT(CHILD_SETUP, WEXITSTATUS(status))
			TH_LOG("the child failed with %d at %u",
			       WEXITSTATUS(status), n);

		/* Its devices and pins are gone, whatever failed. */
		ASSERT_EQ(c->devices, count_mock_devices());
		ASSERT_EQ(0, get_pinned(c->fd, &p));
		ASSERT_EQ(c->user_locked, p.user_locked);
		check_fd(_metadata, c);
		if (WEXITSTATUS(status) == CHILD_DONE) {
			TH_LOG("%u fault injection points", n - 1);
			return;
		}
	}
	ASSERT_TRUE(false) TH_LOG("still failing after %u points", MAX_NTH);
}

/*
 * The life of an emulated device on id[0], as one operation: it is
 * created and attached, pins four pages for write, copies across a page
 * boundary with ioasid_access_rw() and through its pin, writing back
 * what it read, unpins, pins two pages again and has them unmapped under
 * it, which runs its callback, and is destroyed.  Whichever step fails,
 * the emulated device is destroyed there: no object, no pin and no
 * change to the mapping may be left over, and a run that succeeded is
 * undone by mapping buf[0] again.
 */

/* The steps after creation; stops at the first that fails. */
static int access_steps(struct nth_ctx *c, uint32_t acc)
{
	const uint32_t wr = IOASID_MOCK_ACCESS_WRITE;
	const uint64_t p = c->page;
	uint8_t data[64];
	int ret;

	ret = access_attach(c->fd, acc, c->id[0]);
	if (!ret)
		ret = access_pin(c->fd, acc, IOVA_A + p, 4 * p, wr);
	if (!ret)
		ret = access_rw(c->fd, acc, IOVA_A + p - 32, data,
				sizeof(data), 0);
	if (!ret)
		ret = access_rw(c->fd, acc, IOVA_A + p - 32, data,
				sizeof(data), wr);
	if (!ret)
		ret = access_dma(c->fd, acc, IOVA_A + 2 * p - 32, data,
				 sizeof(data), 0);
	if (!ret)
		ret = access_dma(c->fd, acc, IOVA_A + 2 * p - 32, data,
				 sizeof(data), wr);
	if (!ret)
		ret = access_unpin(c->fd, acc, IOVA_A + p, 4 * p);
	if (!ret)
		ret = access_pin(c->fd, acc, IOVA_A, 2 * p, 0);
	if (!ret)
		ret = unmap_range(c->fd, c->id[0], IOVA_A, c->len,
				  &c->out_len);
	if (!ret)
		ret = access_config(c->fd, acc, 0, &c->books);
	return ret;
}

static int access_run(struct nth_ctx *c)
{
	int ret;

	memset(&c->books, 0, sizeof(c->books));
	c->out_len = 0;
	ret = access_create(c->fd, 0, &c->out);
	if (ret)
		return ret;
	ret = access_steps(c, c->out);
	if (!ret)
		ret = ioasid_destroy(c->fd, c->out);
	/* After a failure nothing is armed any more: this one cannot fail. */
	if (ret)
		ioasid_destroy(c->fd, c->out);
	return ret;
}

static void access_check(struct __test_metadata *_metadata,
			 struct nth_ctx *c, bool done)
{
	/* The emulated device is gone either way. */
	ASSERT_EQ(ENOENT, ioasid_destroy(c->fd, c->out));
	if (!done) {
		ASSERT_TRUE(pasid_sees(c->fd, c->dev[0], 0, IOVA_A, c->buf[0],
				       c->len));
		return;
	}
	ASSERT_EQ(c->len, c->out_len);
	ASSERT_EQ(1ULL, c->books.access.out_unmap_calls);
	ASSERT_EQ(IOVA_A, c->books.access.out_unmap_iova);
	ASSERT_EQ(IOVA_A + c->len - 1, c->books.access.out_unmap_last);
	ASSERT_EQ(0ULL, c->books.access.out_pinned_pages);
	ASSERT_EQ(ENOENT, iopte_err(c->fd, c->dev[0], 0, IOVA_A));
	ASSERT_EQ(c->fd_pages - PAGES, fd_pages(c->fd));
}

static void access_undo(struct __test_metadata *_metadata,
			struct nth_ctx *c)
{
	ASSERT_EQ(0, map_fixed(c->fd, c->id[0], c->buf[0], c->len, IOVA_A));
}

TEST_F_TIMEOUT(nth, access, 120)
{
	struct nth_ctx *c = &self->ctx;
	const struct nth_op op = {
		.run = access_run,
		.check = access_check,
		.undo = access_undo,
	};

	ASSERT_EQ(0, ioasid_alloc(c->fd, &c->id[0]));
	ASSERT_EQ(0, map_fixed(c->fd, c->id[0], c->buf[0], c->len, IOVA_A));
	ASSERT_EQ(0, new_mock_device(c->fd, 0, 0, &c->dev[0]));
	ASSERT_EQ(0, mock_attach(c->fd, c->dev[0], c->id[0]));
	run_nth(_metadata, c, &op);
}

/*
 * SIOV-style PASID lending, as one operation on the fd: it takes another
 * binding of dev[0], a host-owned device that peer_fd created, with
 * PASIDS_OF, attaches PASID 1 of it to id[0], reads buf[0] through the
 * PASID and writes it back, detaches the PASID and destroys the binding.
 * Whichever step fails, the binding is destroyed there: no object, pin
 * or PASID may be left over, and the device stays with peer_fd, whose
 * binding can still take PASID 1 afterwards.  Closing peer_fd at the end
 * must then remove the device: a reference leaked by the binding would
 * keep it.
 *
 * Creating the host-owned device is not run with failures injected: it
 * has PASIDs, whose width is a software-node property, and injection
 * reaches the use-after-free of the driver core's software-node code
 * that mock_device_create avoids.
 */

/* The steps after the binding is taken; stops at the first that fails. */
static int lend_steps(struct nth_ctx *c, uint32_t dev)
{
	uint8_t *got = c->dma_buf;
	int ret;

	ret = mock_attach_pasid(c->fd, dev, 1, c->id[0]);
	if (!ret)
		ret = do_dma(c->fd, dev, 1, IOVA_A, got, c->len, 0, NULL);
	if (!ret) {
		c->seen = !memcmp(got, c->buf[0], c->len);
		ret = do_dma(c->fd, dev, 1, IOVA_A, got, c->len, 1, NULL);
	}
	if (!ret)
		ret = mock_detach_pasid(c->fd, dev, 1);
	return ret;
}

static int lend_run(struct nth_ctx *c)
{
	int ret;

	c->seen = false;
	ret = mock_device_pasids_of(c->fd, c->peer_fd, c->dev[0], &c->out);
	if (ret)
		return ret;
	ret = lend_steps(c, c->out);
	if (!ret)
		ret = ioasid_destroy(c->fd, c->out);
	/* After a failure nothing is armed any more: this one cannot fail. */
	if (ret)
		ioasid_destroy(c->fd, c->out);
	return ret;
}

static void lend_check(struct __test_metadata *_metadata,
		       struct nth_ctx *c, bool done)
{
	/* The binding is gone either way, and the device is still there. */
	ASSERT_EQ(ENOENT, ioasid_destroy(c->fd, c->out));
	if (done)
		ASSERT_TRUE(c->seen);
	/* Nothing holds PASID 1 or id[0]'s buffer for the fd any more. */
	ASSERT_EQ(0, mock_attach_pasid(c->peer_fd, c->dev[0], 1,
				       c->peer_id));
	ASSERT_TRUE(pasid_sees(c->peer_fd, c->dev[0], 1, IOVA_A, c->buf[1],
			       c->len));
	ASSERT_EQ(0, mock_detach_pasid(c->peer_fd, c->dev[0], 1));
	ASSERT_EQ(c->fd_pages, fd_pages(c->fd));
}

TEST_F_TIMEOUT(nth, pasid_lending, 120)
{
	struct nth_ctx *c = &self->ctx;
	const struct nth_op op = {
		.run = lend_run,
		.check = lend_check,
	};
	uint8_t *ref = malloc(c->len);

	ASSERT_NE(NULL, ref);
	c->dma_buf = malloc(c->len);
	ASSERT_NE(NULL, c->dma_buf);
	memcpy(ref, c->buf[0], c->len);
	c->peer_fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, c->peer_fd);
	ASSERT_EQ(0, ioasid_alloc(c->peer_fd, &c->peer_id));
	ASSERT_EQ(0, map_fixed(c->peer_fd, c->peer_id, c->buf[1], c->len,
			       IOVA_A));
	ASSERT_EQ(0, mock_device_host_owned(c->peer_fd, 4, &c->dev[0]));
	ASSERT_EQ(0, ioasid_alloc(c->fd, &c->id[0]));
	ASSERT_EQ(0, map_fixed(c->fd, c->id[0], c->buf[0], c->len, IOVA_A));
	run_nth(_metadata, c, &op);

	/* The PASID wrote back what it read, and the IOASID is free. */
	ASSERT_EQ(0, memcmp(ref, c->buf[0], c->len));
	ASSERT_EQ(0, ioasid_destroy(c->fd, c->id[0]));
	ASSERT_EQ(0, close(c->peer_fd));
	c->peer_fd = -1;
	ASSERT_EQ(c->devices - 1, count_mock_devices());
	free(c->dma_buf);
	free(ref);
}

/*
 * Reads of what the fd shows of itself: its fdinfo, and the mappings file
 * of its context in debugfs.  The file is opened before the failure is
 * armed, so that what fails is the read: seq_file's buffers and our show
 * functions.  The fd maps in two IOASIDs, with a copy from one into the
 * other, and has mock devices attached by requester ID and by PASID; the
 * fdinfo shows enough IOASIDs to outgrow seq_file's first buffer, the
 * mappings file enough mappings to take several.  Each read either fails
 * with ENOMEM or gives exactly what a read without failures gave, which
 * the strict parsers of ioasid_views.h accept: a view that could not
 * allocate must not leave lines out.
 */

#define VIEW_LEN	(256UL * 1024)
#define VIEW_MAPPINGS	200U

static void view_prepare(struct __test_metadata *_metadata, struct nth_ctx *c)
{
	if (c->view_fd >= 0)
		close(c->view_fd);
	c->view_fd = open(c->view_path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, c->view_fd) TH_LOG("%s: %s", c->view_path,
					strerror(errno));
}

/*
 * Reads the view to its end, a page at a time, into view_buf, whose pages
 * are present: nothing but the read itself can fail.
 */
static int view_run(struct nth_ctx *c)
{
	size_t room;
	ssize_t n;

	c->view_len = 0;
	do {
		room = VIEW_LEN - 1 - c->view_len;
		n = read(c->view_fd, c->view_buf + c->view_len,
			 room < c->page ? room : c->page);
		if (n < 0)
			return errno;
		c->view_len += n;
	} while (n && c->view_len < VIEW_LEN - 1);
	return 0;
}

static void view_check(struct __test_metadata *_metadata, struct nth_ctx *c,
		       bool done)
{
	size_t i;

	if (!done)
		return;
	for (i = 0; i < c->view_len && i < c->view_ref_len &&
	     c->view_buf[i] == c->view_ref[i]; i++)
		;
	ASSERT_EQ(c->view_ref_len, c->view_len)
		TH_LOG("%s: first difference at byte %zu: \"%.80s\"",
		       c->view_path, i, c->view_buf + i);
	ASSERT_EQ(0, memcmp(c->view_buf, c->view_ref, c->view_len))
		TH_LOG("%s: first difference at byte %zu: \"%.80s\"",
		       c->view_path, i, c->view_buf + i);
}

static const struct nth_op view_op = {
	.prepare = view_prepare,
	.run = view_run,
	.check = view_check,
};

/*
 * id[0] and id[1] with their buffers, a copy of id[0]'s into id[1], and
 * @extra one-page mappings more in id[0]; dev[0] attached to id[0], and
 * dev[1], which has CPU pages only, attached to id[1] and by PASID 1 to
 * id[0].
 */
static void view_setup(struct __test_metadata *_metadata, struct nth_ctx *c,
		       unsigned int extra)
{
	unsigned int i;

	map_two_ioasids(_metadata, c);
	ASSERT_EQ(0, copy_fixed(c->fd, c->id[1], c->id[0], IOVA_A, c->len,
				IOVA_B));
	for (i = 0; i < extra; i++)
		ASSERT_EQ(0, map_fixed(c->fd, c->id[0],
				       c->buf[1] + (i % PAGES) * c->page,
				       c->page, IOVA_B + 2 * i * c->page));
	ASSERT_EQ(0, new_mock_device(c->fd, 0, 0, &c->dev[0]));
	ASSERT_EQ(0, mock_attach(c->fd, c->dev[0], c->id[0]));
	ASSERT_EQ(0, new_mock_device(c->fd, c->page, 4, &c->dev[1]));
	ASSERT_EQ(0, mock_attach(c->fd, c->dev[1], c->id[1]));
	ASSERT_EQ(0, mock_attach_pasid(c->fd, c->dev[1], 1, c->id[0]));
	c->view_buf = alloc_buf(VIEW_LEN, 0, true);
	ASSERT_NE(NULL, c->view_buf);
}

/* Reads the view once without failures: what every read must give. */
static void view_reference(struct __test_metadata *_metadata,
			   struct nth_ctx *c)
{
	view_prepare(_metadata, c);
	ASSERT_EQ(0, view_run(c));
	ASSERT_GT(VIEW_LEN - 1, c->view_len);
	c->view_buf[c->view_len] = '\0';
	c->view_ref = strdup(c->view_buf);
	ASSERT_NE(NULL, c->view_ref);
	c->view_ref_len = c->view_len;
}

/* IOASID_TEST_FLOOR of PAGES pages at IOVA_A of id[0], in two tables */

static int floor_run(struct nth_ctx *c)
{
	return floor_op(c->fd, c->id[0], IOVA_A, c->buf[0], c->len, NULL);
}

/* Whether it failed or not, no table keeps any of it. */
static void floor_check(struct __test_metadata *_metadata,
			struct nth_ctx *c, bool done)
{
	uint64_t last = IOVA_A + c->len - c->page;
	int i;

	for (i = 0; i < 2; i++) {
		ASSERT_EQ(ENOENT, iopte_err(c->fd, c->dev[i], 0, IOVA_A));
		ASSERT_EQ(ENOENT, iopte_err(c->fd, c->dev[i], 0, last));
	}
}

TEST_F(nth, floor)
{
	struct nth_ctx *c = &self->ctx;
	const struct nth_op op = {
		.run = floor_run,
		.check = floor_check,
	};

	ASSERT_EQ(0, ioasid_alloc(c->fd, &c->id[0]));
	attach_tables(_metadata, c, 2);
	run_nth(_metadata, c, &op);
}

TEST_F(nth, read_fdinfo)
{
	struct nth_ctx *c = &self->ctx;
	/* An ioasid-ioas line is more than 64 bytes: more than a page. */
	const unsigned int nr_ioas = 2 + c->page / 64;
	struct view_fdinfo fi = {};
	unsigned int i;
	uint32_t id;

	view_setup(_metadata, c, 4);
	for (i = 2; i < nr_ioas; i++)
		ASSERT_EQ(0, ioasid_alloc(c->fd, &id));
	snprintf(c->view_path, sizeof(c->view_path), "/proc/%d/fdinfo/%d",
		 getpid(), c->fd);
	view_reference(_metadata, c);
	ASSERT_LT(c->page, c->view_ref_len);
	ASSERT_EQ(0, fdinfo_parse(c->view_ref, &fi)) TH_LOG("%s", fi.error);
	ASSERT_EQ(0, fdinfo_check(&fi)) TH_LOG("%s", fi.error);
	ASSERT_EQ(nr_ioas, fi.nr_ioas);
	ASSERT_EQ(2U, fi.nr_devices);
	ASSERT_EQ(1U, fi.nr_pasids);
	fdinfo_free(&fi);
	run_nth(_metadata, c, &view_op);
}

TEST_F(nth, read_mappings)
{
	struct nth_ctx *c = &self->ctx;
	struct view_mapping *maps;
	struct view_fdinfo fi = {};
	char why[VIEW_ERR_LEN];
	size_t nr;

	if (access(IOASID_DEBUGFS, F_OK))
		SKIP(return, "no %s: the kernel has no debugfs view",
		     IOASID_DEBUGFS);
	view_setup(_metadata, c, VIEW_MAPPINGS);
	ASSERT_EQ(0, fdinfo_read(getpid(), c->fd, &fi)) TH_LOG("%s", fi.error);
	debugfs_path(c->view_path, sizeof(c->view_path), fi.context,
		     "mappings");
	fdinfo_free(&fi);
	view_reference(_metadata, c);
	ASSERT_EQ(0, mappings_parse(c->view_ref, &maps, &nr, why,
				    sizeof(why))) TH_LOG("%s", why);
	ASSERT_TRUE(mappings_ordered(maps, nr, why, sizeof(why)))
		TH_LOG("%s", why);
	free(maps);
	/* id[0]'s buffer and extra mappings, id[1]'s buffer and copy */
	ASSERT_EQ(VIEW_MAPPINGS + 3, nr);
	ASSERT_LT(2 * c->page, c->view_ref_len);
	run_nth(_metadata, c, &view_op);
}

/*
 * VFIO_DEVICE_ATTACH_IOASID of edu, bound to the fd, to id[0], which has
 * a mapping to fill: what a VMM does to give a device to a guest.  The
 * x86 targets have edu.
 *
 * VFIO_DEVICE_BIND_IOASID itself is not run with failures injected:
 * binding enables the PCI device, and there an injected failure inside
 * the ACPI interpreter's evaluation of _PRT frees a namespace object that
 * ACPICA goes on using (a KASAN use-after-free in this kernel).  The
 * binding's own allocations are those of ioasid_device_bind(), which
 * mock_device_create goes through.
 */

static int vfio_attach_run(struct nth_ctx *c)
{
	return vfio_attach(c->dev_fd, c->id[0]);
}

static void vfio_attach_check(struct __test_metadata *_metadata,
			      struct nth_ctx *c, bool done)
{
	uint32_t id;

	if (!done)
		return;
	/* Attached: the IOASID is in use, and the device can move. */
	ASSERT_EQ(EBUSY, ioasid_destroy(c->fd, c->id[0]));
	ASSERT_EQ(0, ioasid_alloc(c->fd, &id));
	ASSERT_EQ(0, vfio_attach(c->dev_fd, id));
	ASSERT_EQ(0, vfio_attach(c->dev_fd, c->id[0]));
	ASSERT_EQ(0, ioasid_destroy(c->fd, id));
}

static void vfio_attach_undo(struct __test_metadata *_metadata,
			     struct nth_ctx *c)
{
	ASSERT_EQ(0, vfio_detach(c->dev_fd));
}

TEST_F_TIMEOUT(nth, vfio_attach, 300)
{
	struct nth_ctx *c = &self->ctx;
	const struct nth_op op = {
		.run = vfio_attach_run,
		.check = vfio_attach_check,
		.undo = vfio_attach_undo,
	};
	char edu[32], unsafe = 0;
	bool bound;

	if (geteuid())
		SKIP(return, "binding a device to vfio-pci needs root");
	if (edu_find(edu, sizeof(edu)))
		SKIP(return, "no edu device (" EDU_ID ") on the PCI bus");
	ASSERT_EQ(0, edu_bind_vfio(edu, &bound, c->cdev, sizeof(c->cdev)));
	ASSERT_EQ(0, ioasid_alloc(c->fd, &c->id[0]));
	ASSERT_EQ(0, map_fixed(c->fd, c->id[0], c->buf[0], c->len,
			       IOVA_A));
	/* virtio-iommu on x86 cannot isolate MSIs: allow it, as an admin. */
	ASSERT_EQ(0, read_unsafe(&unsafe));
	ASSERT_EQ(0, write_unsafe("Y"));
	c->dev_fd = open(c->cdev, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, c->dev_fd);
	ASSERT_EQ(0, vfio_bind(c->dev_fd, c->fd));
	run_nth(_metadata, c, &op);
	write_unsafe(unsafe == 'Y' ? "Y" : "N");
}

/*
 * What a type1 program does on /dev/ioasid's VFIO container, as one
 * operation: edu's group (peer_fd) joins the container (dev_fd), which
 * takes type1v2, maps buf[0] and reports its IOVA ranges.  A step that
 * fails takes the group out again, which unmaps what was mapped, as the
 * program's exit would.  The group's device is not opened: that binds
 * it, which vfio_attach leaves out (see above).
 */

#define CONTAINER_IOVA	(16 * SZ_1M)

static int container_steps(struct nth_ctx *c)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)c->buf[0],
		.iova = CONTAINER_IOVA,
		.size = c->len,
	};
	struct {
		struct vfio_iommu_type1_info info;
		uint8_t caps[1024];
	} info = { .info.argsz = sizeof(info) };

	if (ioctl(c->dev_fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) ||
	    ioctl(c->dev_fd, VFIO_IOMMU_MAP_DMA, &map) ||
	    ioctl(c->dev_fd, VFIO_IOMMU_GET_INFO, &info))
		return errno;
	return info.info.cap_offset ? 0 : EIO;
}

static int container_run(struct nth_ctx *c)
{
	int ret;

	if (ioctl(c->peer_fd, VFIO_GROUP_SET_CONTAINER, &c->dev_fd))
		return errno;
	ret = container_steps(c);
	if (ret && ioctl(c->peer_fd, VFIO_GROUP_UNSET_CONTAINER))
		return EIO;
	return ret;
}

static void container_check(struct __test_metadata *_metadata,
			    struct nth_ctx *c, bool done)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };

	ASSERT_EQ(0, ioctl(c->peer_fd, VFIO_GROUP_GET_STATUS, &status));
	ASSERT_EQ(done, !!(status.flags & VFIO_GROUP_FLAGS_CONTAINER_SET));
	/* The container charges the process, as type1 does. */
	ASSERT_EQ(c->container_locked + (done ? c->len / 1024 : 0),
		  vm_kb("VmLck"));
}

static void container_undo(struct __test_metadata *_metadata,
			   struct nth_ctx *c)
{
	ASSERT_EQ(0, ioctl(c->peer_fd, VFIO_GROUP_UNSET_CONTAINER));
}

TEST_F_TIMEOUT(nth, vfio_container, 300)
{
	struct nth_ctx *c = &self->ctx;
	const struct nth_op op = {
		.run = container_run,
		.check = container_check,
		.undo = container_undo,
	};
	char edu[32], group[64];
	bool bound;

	if (geteuid())
		SKIP(return, "binding a device to vfio-pci needs root");
	if (edu_find(edu, sizeof(edu)))
		SKIP(return, "no edu device (" EDU_ID ") on the PCI bus");
	ASSERT_EQ(0, edu_bind_vfio(edu, &bound, c->cdev, sizeof(c->cdev)));
	ASSERT_EQ(0, vfio_group_path(edu, group, sizeof(group)));
	c->dev_fd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, c->dev_fd);
	c->peer_fd = open(group, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, c->peer_fd);
	c->container_locked = vm_kb("VmLck");
	run_nth(_metadata, c, &op);
}

/*
 * A mediated device of the mdma sample through its VFIO cdev, as a VMM
 * uses it, as one operation: the cdev is opened, bound to the fd and
 * attached to id[0], which maps buf[0] at IOVA_A and buf[1] at IOVA_B;
 * the child copies MDMA_MAX_LEN bytes from IOVA_A to IOVA_B and is
 * detached, and its fd closed, which unbinds it.  Whichever step fails,
 * the fd is closed there.  A SIOV child DMAs through the PASID its parent
 * lends at the bind, an emulated child through an access.  After every
 * run nothing of the binding may be left: id[0] can be destroyed, the
 * child binds to the fd again, and the fd's pins and ids are as before;
 * at the end the child can be removed, which waits for every reference
 * to its VFIO device.
 *
 * Creating the child is not run with failures injected: it is the
 * parent driver's, not a path of /dev/ioasid or of VFIO's binding.
 */

static int mdev_steps(struct nth_ctx *c)
{
	struct mdma m;
	int ret;

	ret = vfio_bind(c->dev_fd, c->fd);
	if (!ret)
		ret = mdma_init(&m, c->dev_fd);
	if (!ret)
		ret = vfio_attach(c->dev_fd, c->id[0]);
	if (!ret) {
		ret = mdma_copy(&m, IOVA_A, IOVA_B, MDMA_MAX_LEN);
		/* A register access that failed, or what the copy did. */
		if (ret < 0)
			ret = -ret;
	}
	if (!ret) {
		c->seen = !memcmp(c->buf[1], c->buf[0], MDMA_MAX_LEN);
		ret = vfio_detach(c->dev_fd);
	}
	return ret;
}

static int mdev_run(struct nth_ctx *c)
{
	int ret;

	/* User memory that is mapped and present: no injection point. */
	c->seen = false;
	memset(c->buf[1], 0, MDMA_MAX_LEN);
	c->dev_fd = open(c->cdev, O_RDWR | O_CLOEXEC);
	if (c->dev_fd < 0)
		return errno;
	ret = mdev_steps(c);
	/* The last reference: the unbind runs before close() returns. */
	close(c->dev_fd);
	c->dev_fd = -1;
	return ret;
}

/* id[0], mapping buf[0] at IOVA_A and buf[1] at IOVA_B. */
static void mdev_map(struct __test_metadata *_metadata, struct nth_ctx *c)
{
	ASSERT_EQ(0, ioasid_alloc(c->fd, &c->id[0]));
	ASSERT_EQ(0, map_fixed(c->fd, c->id[0], c->buf[0], c->len, IOVA_A));
	ASSERT_EQ(0, map_fixed(c->fd, c->id[0], c->buf[1], c->len, IOVA_B));
}

static void mdev_check(struct __test_metadata *_metadata,
		       struct nth_ctx *c, bool done)
{
	uint32_t id = c->id[0];
	int fd;

	if (done)
		ASSERT_TRUE(c->seen);
	/* No attachment outlived the device fd: the IOASID is free. */
	ASSERT_EQ(0, ioasid_destroy(c->fd, id));
	mdev_map(_metadata, c);
	ASSERT_EQ(id, c->id[0]);
	/* Nor did a binding, or the PASID it was lent. */
	fd = open(c->cdev, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vfio_bind(fd, c->fd));
	ASSERT_EQ(0, vfio_attach(fd, c->id[0]));
	ASSERT_EQ(0, close(fd));
}

FIXTURE(nth_mdev) {
	struct nth_ctx ctx;
};

/* The mdev type of the child: both kinds that DMA. */
FIXTURE_VARIANT(nth_mdev) {
	const char *type;
};

FIXTURE_VARIANT_ADD(nth_mdev, siov) {
	.type = MDMA_SIOV,
};

FIXTURE_VARIANT_ADD(nth_mdev, emulated) {
	.type = MDMA_EMULATED,
};

FIXTURE_SETUP(nth_mdev)
{
	nth_ctx_setup(_metadata, &self->ctx);
}

FIXTURE_TEARDOWN(nth_mdev)
{
	nth_ctx_teardown(&self->ctx);
}

TEST_F_TIMEOUT(nth_mdev, bind_attach_dma, 300)
{
	struct nth_ctx *c = &self->ctx;
	const struct nth_op op = {
		.run = mdev_run,
		.check = mdev_check,
	};
	char parent[NAME_MAX + 1];
	int ret;

	if (geteuid())
		SKIP(return, "creating mediated devices needs root");
	if (mdma_find_parent(parent, sizeof(parent)))
		SKIP(return,
		     "no mdev parent offers " MDMA_SIOV
		     ": the kernel lacks CONFIG_SAMPLE_VFIO_MDEV_MDMA");
	mdev_map(_metadata, c);
	ret = mdma_create(parent, variant->type, c->mdev, sizeof(c->mdev));
	ASSERT_EQ(0, ret) TH_LOG("creating a %s child of %s: %s",
				 variant->type, parent, strerror(ret));
	ASSERT_EQ(0, mdma_cdev(c->mdev, c->cdev, sizeof(c->cdev)));
	run_nth(_metadata, c, &op);

	ASSERT_EQ(0, mdma_remove(c->mdev));
	ASSERT_FALSE(mdma_exists(c->mdev));
	c->mdev[0] = 0;
}

/*
 * A vhost-vdpa device as a VMM uses it, as one operation: its fd, opened
 * beforehand, is bound to the fd, and address space 0 is attached to
 * id[0], which maps buf[0] at IOVA_A; buf[1] is mapped at IOVA_B and
 * unmapped while attached (a parent that translates for itself is given
 * each and loses the second).  The check closes the fd, which detaches
 * and unbinds it, and unmaps IOVA_B, as the program's exit would; nothing
 * of the device may hold id[0]'s pages then: its mapping goes and comes
 * back.  Detaching is left out of the run, as closing is: the IOMMU core
 * warns when a device cannot be given its blocking or default domain
 * back, which an injected failure in the IOMMU driver makes happen
 * (virtio-iommu's allocates a request).
 *
 * vp_vdpa, whose DMA the platform IOMMU translates, leaves out more, for
 * the same reason: its fd is bound once, before the runs, as binding
 * gives up the fd's private IOMMU domain for the default one first, and
 * the check detaches it rather than closing it; and IOVA_B is
 * unmapped by the check only, as an IOMMU driver's unmap must not fail,
 * and virtio-iommu's does when an injected failure takes its request:
 * the subsystem warns then, as the IOMMU core's other users do.  Its
 * binding's own failures are those of a VFIO device's, which
 * nth.vfio_attach covers.
 */
#define NTH_VDPA_DEV	"ioasid-nth0"

FIXTURE(nth_vdpa) {
	struct nth_ctx ctx;
	char pci[32];		/* the virtio-net function given to vp-vdpa */
	bool created;		/* NTH_VDPA_DEV exists */
	char unsafe;		/* allow_unsafe_interrupts found */
};

FIXTURE_VARIANT(nth_vdpa) {
	bool sim;		/* vdpasim_net, else vp_vdpa */
};

FIXTURE_VARIANT_ADD(nth_vdpa, vp_vdpa) {
	.sim = false,
};

FIXTURE_VARIANT_ADD(nth_vdpa, vdpa_sim) {
	.sim = true,
};

FIXTURE_SETUP(nth_vdpa)
{
	self->pci[0] = 0;
	self->created = false;
	self->unsafe = 0;
	nth_ctx_setup(_metadata, &self->ctx);
}

FIXTURE_TEARDOWN(nth_vdpa)
{
	nth_ctx_teardown(&self->ctx);
	if (self->created)
		vdpa_dev_del(NTH_VDPA_DEV, NULL, 0);
	if (self->pci[0])
		vnet_unbind_vp_vdpa(self->pci);
	if (self->unsafe)
		write_unsafe(self->unsafe == 'Y' ? "Y" : "N");
}

static void vdpa_prepare(struct __test_metadata *_metadata,
			 struct nth_ctx *c)
{
	if (c->dev_fd >= 0)
		return;
	c->dev_fd = open(c->cdev, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, c->dev_fd);
}

static int vdpa_run(struct nth_ctx *c)
{
	uint64_t out;
	int ret = 0, fd = c->dev_fd;

	if (!c->platform)
		ret = vnet_ioasid_bind(fd, c->fd);
	if (!ret)
		ret = vnet_ioasid_attach(fd, 0, c->id[0], NULL);
	if (!ret)
		ret = map_fixed(c->fd, c->id[0], c->buf[1], c->len, IOVA_B);
	if (!ret && !c->platform)
		ret = unmap_range(c->fd, c->id[0], IOVA_B, c->len, &out);
	return ret;
}

static void vdpa_check(struct __test_metadata *_metadata,
		       struct nth_ctx *c, bool done)
{
	uint64_t out = 0;
	int ret;

	if (c->platform) {
		ret = vnet_ioasid_detach(c->dev_fd, 0);
		ASSERT_TRUE(!ret || ret == ENOENT) TH_LOG("detaching: %s",
							  strerror(ret));
	} else if (c->dev_fd >= 0) {
		ASSERT_EQ(0, close(c->dev_fd));
		c->dev_fd = -1;
	}
	unmap_range(c->fd, c->id[0], IOVA_B, c->len, &out);
	ASSERT_EQ(0, unmap_range(c->fd, c->id[0], IOVA_A, c->len, &out));
	ASSERT_EQ(c->len, out);
	ASSERT_EQ(0, map_fixed(c->fd, c->id[0], c->buf[0], c->len, IOVA_A));
}

/* The vDPA device of the variant, its vhost-vdpa char device in cdev. */
static int vdpa_create(struct __test_metadata *_metadata,
		       FIXTURE_DATA(nth_vdpa) *self, bool sim, char *why,
		       size_t len)
{
	char pci[1][32];
	int ret;

	vdpa_dev_del(NTH_VDPA_DEV, NULL, 0);
	if (sim) {
		ret = vdpa_dev_add(NULL, "vdpasim_net", NTH_VDPA_DEV, why, len);
	} else {
		if (vnet_find_pci(pci, 1) < 1)
			return ENODEV;
		snprintf(self->pci, sizeof(self->pci), "%s", pci[0]);
		ret = vnet_bind_vp_vdpa(self->pci);
		if (!ret)
			ret = vdpa_dev_add("pci", self->pci, NTH_VDPA_DEV, why,
					   len);
	}
	if (ret)
		return ret;
	self->created = true;
	return vhost_vdpa_path(NTH_VDPA_DEV, self->ctx.cdev,
			       sizeof(self->ctx.cdev));
}

TEST_F_TIMEOUT(nth_vdpa, bind_attach_map, 300)
{
	struct nth_ctx *c = &self->ctx;
	const struct nth_op op = {
		.prepare = vdpa_prepare,
		.run = vdpa_run,
		.check = vdpa_check,
	};
	char why[256] = "";
	int fd, ret;

	if (geteuid())
		SKIP(return, "creating vDPA devices needs root");
	if (access("/sys/bus/vdpa/drivers/vhost_vdpa", F_OK))
		SKIP(return, "no vhost_vdpa driver (CONFIG_VHOST_VDPA)");
	ret = vdpa_create(_metadata, self, variant->sim, why, sizeof(why));
	if (ret == ENODEV || ret == ENOENT)
		SKIP(return, "no %s (%s)",
		     variant->sim ? "vdpasim_net management device" :
				    "virtio-net function for vp_vdpa",
		     strerror(ret));
	ASSERT_EQ(0, ret) TH_LOG("creating %s: %s %s", NTH_VDPA_DEV,
				 strerror(ret), why);
	/* virtio-iommu on x86 cannot isolate MSIs: allow it, as an admin. */
	if (!variant->sim) {
		ASSERT_EQ(0, read_unsafe(&self->unsafe));
		ASSERT_EQ(0, write_unsafe("Y"));
	}
	fd = open(c->cdev, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ret = vnet_ioasid_bind(fd, c->fd);
	close(fd);
	if (ret == ENOTTY || ret == ENOBUFS)
		SKIP(return, "the kernel has no VHOST_VDPA_IOASID_BIND");
	if (ret == EOPNOTSUPP)
		SKIP(return, "vdpa_sim takes user addresses (vdpa_sim.use_va=0 needed)");
	ASSERT_EQ(0, ret) TH_LOG("binding %s: %s", c->cdev, strerror(ret));

	ASSERT_EQ(0, ioasid_alloc(c->fd, &c->id[0]));
	ASSERT_EQ(0, map_fixed(c->fd, c->id[0], c->buf[0], c->len, IOVA_A));
	c->platform = !variant->sim;
	if (c->platform) {
		c->dev_fd = open(c->cdev, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, c->dev_fd);
		ASSERT_EQ(0, vnet_ioasid_bind(c->dev_fd, c->fd));
	}
	run_nth(_metadata, c, &op);
}

TEST_HARNESS_MAIN
