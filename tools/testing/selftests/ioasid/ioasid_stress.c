// SPDX-License-Identifier: GPL-2.0-only
/*
 * Races between the ioctls of /dev/ioasid, through the mock IOMMU of
 * CONFIG_DEV_IOASID_TEST.  Worker threads pick random operations on a few
 * pages of IOVA, so that they collide, and every call must end in 0 or an
 * errno its operation can return at that moment.  With the threads gone,
 * each test then checks what must hold whatever the interleaving was:
 * page tables that agree, devices that reach only pinned pages, objects
 * that can all be destroyed, and pin counters and the pins the pages hold
 * back where they started.
 * The debug kernel the tests run under catches what shows only inside.
 * The last test races object lifetimes alone, with no device or mapping.
 *
 * Each run is bounded by a count and a time limit, and reports how many
 * operations it made.  The operations come from a PRNG whose seed each
 * test prints; IOASID_STRESS_SEED=<seed> in the environment makes every
 * thread pick the same sequence again.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/ioasid.h>
#include "ioasid_utils.h"
#include "../kselftest_harness.h"

#define WINDOW_START	IOASID_MOCK_APERTURE_START

#define THREADS		4
#define OPS_PER_THREAD	20000
#define RUN_MS		2000
#define MAX_RUN		8	/* pages one operation covers at most */
#define PASIDS		4	/* PASIDs 1 to 4 of the PASID-capable device */
#define PASID_BITS	8
/* For %llx and %llu, whatever uint64_t is. */
#define ULL(x)		((unsigned long long)(x))
/* The end of the list of the results check() accepts. */
#define END		(-1)

/*
 * Every page the tests map starts with a tag naming it, which neither the
 * CPU nor a device ever overwrites: a device that reads anything else
 * through its IOMMU reached memory that is not, or no longer, pinned.
 */
#define TAG_MAGIC	0x10a5fd5eed5a11edULL
#define TAG_BYTES	64

static unsigned int below(struct rng *r, unsigned int n)
{
	return (rng_next(r) >> 32) % n;
}

static uint64_t stress_seed(void)
{
	const char *env = getenv("IOASID_STRESS_SEED");

	if (env && *env)
		return strtoull(env, NULL, 0);
	return fresh_seed();
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (ms % 1000) * 1000000L,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

enum stress_op {
	OP_MAP_FIXED,
	OP_MAP_ANY,
	OP_UNMAP,
	OP_COPY,
	OP_DMA_READ,
	OP_DMA_WRITE,
	OP_IOPTE,
	OP_ATTACH,
	OP_DETACH,
	OP_ATTACH_PASID,
	OP_DETACH_PASID,
	OP_DESTROY,
	OP_ALLOC,
	OP_OPTION,
	NR_OPS,
};

static const char * const op_names[NR_OPS] = {
	[OP_MAP_FIXED] = "map_fixed",
	[OP_MAP_ANY] = "map_any",
	[OP_UNMAP] = "unmap",
	[OP_COPY] = "copy",
	[OP_DMA_READ] = "dma_read",
	[OP_DMA_WRITE] = "dma_write",
	[OP_IOPTE] = "iopte",
	[OP_ATTACH] = "attach",
	[OP_DETACH] = "detach",
	[OP_ATTACH_PASID] = "attach_pasid",
	[OP_DETACH_PASID] = "detach_pasid",
	[OP_DESTROY] = "destroy",
	[OP_ALLOC] = "alloc",
	[OP_OPTION] = "option",
};

/* The first thing that went wrong; the rest would only repeat it. */
struct failure {
	int set;
	char why[200];
};

static void __printf(2, 3) fail(struct failure *f, const char *fmt, ...)
{
	va_list ap;

	if (__atomic_exchange_n(&f->set, 1, __ATOMIC_ACQ_REL))
		return;
	va_start(ap, fmt);
	vsnprintf(f->why, sizeof(f->why), fmt, ap);
	va_end(ap);
}

/* What the threads of one run share. */
struct stress {
	int fd;
	uint64_t page;
	uint64_t seed;
	uint64_t deadline;	/* of CLOCK_MONOTONIC, in ms */
	int tolerate;		/* an errno any call may end in, or 0 */
	uint8_t *buf;		/* the tagged pages the mappings come from */
	unsigned int buf_pages;
	unsigned int window;	/* pages of IOVA from WINDOW_START */
	unsigned long ops;
	unsigned long tolerated;	/* calls that ended in @tolerate */
	unsigned long calls[NR_OPS];
	unsigned long ok[NR_OPS];
	struct failure fail;
};

static uint64_t win_iova(struct stress *s, unsigned int page)
{
	return WINDOW_START + page * s->page;
}

static uint64_t win_end(struct stress *s)
{
	return win_iova(s, s->window);
}

/*
 * Counts a call of @op and checks that it ended in one of the results
 * listed after @ret, up to END; 0 is one only when it is listed.
 */
static int check(struct stress *s, enum stress_op op, int ret, ...)
{
	bool expected = ret && ret == s->tolerate;
	va_list ap;
	int ok;

	va_start(ap, ret);
	while (!expected && (ok = va_arg(ap, int)) != END)
		expected = ret == ok;
	va_end(ap);

	__atomic_add_fetch(&s->calls[op], 1, __ATOMIC_RELAXED);
	if (ret && ret == s->tolerate)
		__atomic_add_fetch(&s->tolerated, 1, __ATOMIC_RELAXED);
	if (!ret)
		__atomic_add_fetch(&s->ok[op], 1, __ATOMIC_RELAXED);
	if (!expected)
		fail(&s->fail, "%s: unexpected %s (%d)", op_names[op],
		     ret ? strerror(ret) : "success", ret);
	return ret;
}

/* "op ok/calls" for each operation that ran. */
static const char *summary(struct stress *s, char *line, size_t size)
{
	size_t len = 0;
	int i;

	line[0] = '\0';
	for (i = 0; i < NR_OPS && len < size; i++) {
		if (!s->calls[i])
			continue;
		len += snprintf(line + len, size - len, " %s %lu/%lu",
				op_names[i], s->ok[i], s->calls[i]);
	}
	return line;
}

struct worker {
	struct stress *s;
	void (*step)(struct worker *w);
	struct rng rng;
	uint8_t *scratch;	/* MAX_RUN pages of the thread's own */
	pthread_t thread;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct stress *s = w->s;
	unsigned long i;

	for (i = 0; i < OPS_PER_THREAD; i++) {
		if (now_ms() >= __atomic_load_n(&s->deadline, __ATOMIC_RELAXED))
			break;
		w->step(w);
		__atomic_add_fetch(&s->ops, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void join_workers(struct worker *w, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		pthread_join(w[i].thread, NULL);
		free(w[i].scratch);
		w[i].scratch = NULL;
	}
}

/* Starts @n threads, each running its w[i].step; on error none runs. */
static int start_workers(struct stress *s, struct worker *w, unsigned int n)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; i < n; i++) {
		w[i].s = s;
		rng_init(&w[i].rng, s->seed, i);
		w[i].scratch = calloc(MAX_RUN, s->page);
		if (!w[i].scratch) {
			ret = ENOMEM;
			break;
		}
		ret = pthread_create(&w[i].thread, NULL, worker_main, &w[i]);
		if (ret) {
			free(w[i].scratch);
			w[i].scratch = NULL;
			break;
		}
	}
	if (ret) {
		__atomic_store_n(&s->deadline, 0, __ATOMIC_RELAXED);
		join_workers(w, i);
	}
	return ret;
}

static int run_workers(struct stress *s, struct worker *w, unsigned int n)
{
	int ret = start_workers(s, w, n);

	if (!ret)
		join_workers(w, n);
	return ret;
}

/* Mappings of @id may go only in the window, so that workers collide. */
static int allow_window(struct stress *s, uint32_t id)
{
	struct ioasid_iova_range range = {
		.start = WINDOW_START,
		.last = win_end(s) - 1,
	};

	return set_allowed(s->fd, id, &range, 1);
}

/* A fixed copy when @dst_iova is not UINT64_MAX, else kernel-chosen. */
static int copy(int fd, uint32_t dst, uint32_t src, uint64_t src_iova,
		uint64_t len, uint64_t *dst_iova)
{
	bool fixed = *dst_iova != UINT64_MAX;
	struct ioasid_copy cmd = {
		.flags = MAP_RW | (fixed ? IOASID_MAP_FIXED_IOVA : 0),
		.dst_ioasid = dst,
		.src_ioasid = src,
		.length = len,
		.src_iova = src_iova,
		.dst_iova = fixed ? *dst_iova : 0,
	};
	int ret = do_copy(fd, &cmd);

	*dst_iova = ret ? UINT64_MAX : cmd.dst_iova;
	return ret;
}

/* The accounting mode, or UINT64_MAX when it cannot be read. */
static uint64_t accounting_mode(int fd)
{
	uint64_t mode;

	return get_accounting(fd, &mode) ? UINT64_MAX : mode;
}

/*
 * A mock device; @small gives it CPU pages only, so that it needs a page
 * table of its own next to a default device.
 */
static int stress_mock_device(struct stress *s, bool small,
			      uint32_t pasid_bits, uint32_t *id)
{
	struct ioasid_test cmd = {
		.mock_device.pgsize_bitmap = small ? s->page : 0,
		.mock_device.pasid_bits = pasid_bits,
	};

	return do_mock_device(s->fd, &cmd, id);
}

/* What DMA goes through: a device's requester ID, or one of its PASIDs. */
struct route {
	uint32_t dev;
	uint32_t pasid;
};

/* The device copies @len bytes between @buf and its IOVAs at @iova. */
static int dma(int fd, const struct route *r, uint64_t iova, void *buf,
	       uint64_t len, bool to_iova, uint64_t *fault)
{
	return do_dma(fd, r->dev, r->pasid, iova, buf, len, to_iova, fault);
}

static int route_iopte(int fd, const struct route *r, uint64_t iova,
		       struct iopte *pte)
{
	return read_iopte(fd, r->dev, r->pasid, iova, pte);
}

/* The locked_vm of the caller's user, or UINT64_MAX. */
static uint64_t user_locked(int fd)
{
	struct pinned p;

	return get_pinned(fd, &p) ? UINT64_MAX : p.user_locked;
}

/* Private, present, small pages, each tagged with its index. */
static uint8_t *alloc_tagged(uint64_t page, unsigned int npages)
{
	uint8_t *buf = alloc_buf(npages * page, 0xa5, true);
	unsigned int i;

	if (!buf)
		return NULL;
	for (i = 0; i < npages; i++) {
		uint64_t *w = (uint64_t *)(buf + i * page);

		w[0] = TAG_MAGIC;
		w[1] = i;
		w[2] = TAG_MAGIC ^ i;
	}
	return buf;
}

/* The index of the buffer page @data is a copy of, or -1. */
static int page_tag(struct stress *s, const uint8_t *data)
{
	const uint64_t *w = (const uint64_t *)data;

	if (w[0] != TAG_MAGIC || w[1] >= s->buf_pages ||
	    w[2] != (TAG_MAGIC ^ w[1]))
		return -1;
	return w[1];
}

/* The window in one stress context, with a tagged buffer as large. */
static int stress_init(struct stress *s, unsigned int window, uint64_t seed)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->page = sysconf(_SC_PAGESIZE);
	s->seed = seed;
	s->window = window;
	s->buf_pages = window;
	s->buf = alloc_tagged(s->page, window);
	if (!s->buf)
		return errno;
	s->fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	return s->fd < 0 ? errno : 0;
}

static void stress_fini(struct stress *s)
{
	if (s->fd >= 0)
		close(s->fd);
	if (s->buf)
		munmap(s->buf, s->buf_pages * s->page);
}

/* @n pages of the buffer from a random one. */
static void *some_pages(struct stress *s, struct rng *r, unsigned int n)
{
	return s->buf + below(r, s->buf_pages - n + 1) * s->page;
}

/*
 * Checks what a read at page-aligned @iova that ended in @ret brought back
 * into @data: every whole page before the fault must be a page of the
 * buffer, since nothing else is ever mapped.
 */
static void check_read(struct stress *s, const uint8_t *data, uint64_t iova,
		       uint64_t len, int ret, uint64_t fault)
{
	uint64_t done = len, off;

	if (ret == EIO) {
		if (fault < iova || fault >= iova + len) {
			fail(&s->fail, "dma_read: fault %#llx off %#llx+%#llx",
			     ULL(fault), ULL(iova), ULL(len));
			return;
		}
		done = fault - iova;
	} else if (ret) {
		return;
	}
	for (off = 0; off + s->page <= done; off += s->page) {
		if (page_tag(s, data + off) < 0) {
			fail(&s->fail,
			     "dma_read: IOVA %#llx reaches a page not mapped",
			     ULL(iova + off));
			return;
		}
	}
}

/* Checks that a kernel-chosen IOVA lies in the window, aligned. */
static void check_chosen(struct stress *s, enum stress_op op, uint64_t iova,
			 uint64_t len, uint64_t align)
{
	if (iova < WINDOW_START || iova + len > win_end(s) ||
	    iova % (align ?: s->page))
		fail(&s->fail, "%s: IOVA %#llx+%#llx, align %#llx, is wrong",
		     op_names[op], ULL(iova), ULL(len), ULL(align));
}

/*
 * The workers' unmaps: a random range of up to 16 pages, which may cover
 * mappings whole, cut one (ERANGE) or hold none (ENOENT).
 */
static void random_unmap(struct stress *s, struct rng *r, uint32_t id)
{
	unsigned int i = below(r, s->window), n = 1 + below(r, 16);
	uint64_t out;
	int ret;

	ret = unmap_range(s->fd, id, win_iova(s, i), n * s->page, &out);
	check(s, OP_UNMAP, ret, 0, ENOENT, ERANGE, END);
	if (!ret && (!out || out > n * s->page || out % s->page))
		fail(&s->fail, "unmap: %#llx bytes out of %#llx", ULL(out),
		     ULL(n * s->page));
}

/* A fixed map of up to MAX_RUN pages; @also: another errno, or 0. */
static void random_map_fixed(struct stress *s, struct rng *r, uint32_t id,
			     int also)
{
	unsigned int i = below(r, s->window);
	unsigned int n = 1 + below(r, MAX_RUN < s->window - i ?
				      MAX_RUN : s->window - i);
	int ret;

	ret = map_fixed(s->fd, id, some_pages(s, r, n), n * s->page,
			win_iova(s, i));
	check(s, OP_MAP_FIXED, ret, 0, EADDRINUSE, also, END);
}

/* A kernel-chosen map, which must land in the window or find no room. */
static void random_map_any(struct stress *s, struct rng *r, uint32_t id)
{
	static const unsigned int aligns[] = { 0, 1, 4 };
	uint64_t align = aligns[below(r, 3)] * s->page, iova = UINT64_MAX;
	unsigned int n = 1 + below(r, 4);
	int ret;

	ret = map_any(s->fd, id, some_pages(s, r, n), n * s->page, align,
		      &iova);
	if (!check(s, OP_MAP_ANY, ret, 0, ENOSPC, END))
		check_chosen(s, OP_MAP_ANY, iova, n * s->page, align);
}

/* Copies a random range of @src, whole or part of a mapping or not. */
static void random_copy(struct stress *s, struct rng *r, uint32_t dst,
			uint32_t src)
{
	unsigned int i = below(r, s->window), n = 1 + below(r, 4);
	uint64_t iova = UINT64_MAX;
	int ret;

	if (below(r, 2))
		iova = win_iova(s, below(r, s->window - n + 1));
	ret = copy(s->fd, dst, src, win_iova(s, i), n * s->page, &iova);
	if (!check(s, OP_COPY, ret, 0, ENOENT, EADDRINUSE, ENOSPC, END))
		check_chosen(s, OP_COPY, iova, n * s->page, 0);
}

/* A read of up to four pages, which may run past the window. */
static void random_read(struct worker *w, const struct route *route)
{
	struct stress *s = w->s;
	uint64_t iova = win_iova(s, below(&w->rng, s->window));
	uint64_t len = (1 + below(&w->rng, 4)) * s->page, fault;
	int ret;

	ret = dma(s->fd, route, iova, w->scratch, len, false, &fault);
	check(s, OP_DMA_READ, ret, 0, EIO, END);
	check_read(s, w->scratch, iova, len, ret, fault);
}

/* A write within one page that leaves its tag alone. */
static void random_write(struct worker *w, const struct route *route)
{
	struct stress *s = w->s;
	uint64_t iova = win_iova(s, below(&w->rng, s->window)) + TAG_BYTES;
	uint64_t fault;
	int ret;

	ret = dma(s->fd, route, iova, w->scratch, s->page - TAG_BYTES, true,
		  &fault);
	check(s, OP_DMA_WRITE, ret, 0, EIO, END);
}

/*
 * 1. map_unmap_copy_overlapping: maps, unmaps and copies collide in two
 * IOASIDs, each with two page tables, while devices read and write
 * through them.
 */

enum {
	R_A,		/* default device, in A */
	R_SA,		/* CPU pages only, in A: a second table */
	R_B,		/* default device, in B */
	R_SB,		/* CPU pages only, in B */
	R_P1,		/* PASIDs 1 to 4 of the PASID device, in B */
	R_ATTACHED = R_P1 + PASIDS,
	R_P5 = R_ATTACHED,	/* a PASID never attached */
	R_PRID,		/* the PASID device's requester ID, never attached */
	R_ALL,
};

#define OVERLAP_WINDOW	64

struct overlap {
	struct stress s;
	uint32_t a, b;
	struct route routes[R_ALL];
};

static void step_overlap(struct worker *w)
{
	struct overlap *t = (struct overlap *)w->s;
	struct stress *s = w->s;
	struct rng *r = &w->rng;
	unsigned int choice = below(r, 100);
	uint32_t id = below(r, 2) ? t->a : t->b;
	const struct route *route;
	struct iopte pte;
	uint64_t fault;
	int ret;

	if (choice < 20) {
		random_map_fixed(s, r, id, 0);
	} else if (choice < 28) {
		random_map_any(s, r, id);
	} else if (choice < 48) {
		random_unmap(s, r, id);
	} else if (choice < 60) {
		/* Mostly to B, sometimes within A. */
		random_copy(s, r, below(r, 4) ? t->b : t->a, t->a);
	} else if (choice < 80) {
		route = &t->routes[below(r, R_ALL)];
		if (route < &t->routes[R_ATTACHED]) {
			random_read(w, route);
			return;
		}
		/* Blocked: it faults at once, whatever is mapped. */
		ret = dma(s->fd, route, WINDOW_START, w->scratch, s->page,
			  false, &fault);
		check(s, OP_DMA_READ, ret, EIO, END);
		if (ret == EIO && fault != WINDOW_START)
			fail(&s->fail, "dma_read: blocked DMA faults at %#llx",
			     ULL(fault));
	} else if (choice < 88) {
		random_write(w, &t->routes[below(r, R_ATTACHED)]);
	} else {
		route = &t->routes[below(r, R_ATTACHED)];
		ret = route_iopte(s->fd, route,
				  win_iova(s, below(r, s->window)), &pte);
		if (!check(s, OP_IOPTE, ret, 0, ENOENT, END) &&
		    pte.prot != (IOPTE_RW | IOPTE_CACHE))
			fail(&s->fail, "iopte: prot %u of a read-write mapping",
			     pte.prot);
	}
}

/*
 * With the threads gone, the tables of one IOASID, reached through
 * @routes, must agree page by page, and what the first device reads there
 * must be the buffer page at that frame.  @pfn_of holds the frame of each
 * buffer page seen so far, across IOASIDs.  Returns the pages that are
 * not so, and describes the first in @f.
 */
static unsigned int check_tables(struct stress *s, const struct route *routes,
				 unsigned int n, uint64_t *pfn_of,
				 uint8_t *data, struct failure *f)
{
	unsigned int i, k, bad = 0;
	struct iopte first, pte;
	int ret0, ret, tag;
	uint64_t iova, fault;

	for (i = 0; i < s->window; i++) {
		bool wrong = false;

		iova = win_iova(s, i);
		ret0 = route_iopte(s->fd, &routes[0], iova, &first);
		for (k = 1; k < n; k++) {
			ret = route_iopte(s->fd, &routes[k], iova, &pte);
			if (ret == ret0 && pte.pfn == first.pfn)
				continue;
			fail(f, "IOVA %#llx: %d, pfn %#llx; dev %u: %d, %#llx",
			     ULL(iova), ret0, ULL(first.pfn), routes[k].dev,
			     ret, ULL(pte.pfn));
			wrong = true;
		}
		ret = dma(s->fd, &routes[0], iova, data, s->page, false,
			  &fault);
		tag = ret ? -1 : page_tag(s, data);
		if (ret0 == ENOENT) {
			if (ret != EIO || fault != iova) {
				fail(f, "IOVA %#llx: no IOPTE, DMA %d",
				     ULL(iova), ret);
				wrong = true;
			}
		} else if (ret0 || tag < 0) {
			fail(f, "IOVA %#llx: IOPTE %d, DMA %d, tag %d",
			     ULL(iova), ret0, ret, tag);
			wrong = true;
		} else if (pfn_of[tag] == UINT64_MAX) {
			pfn_of[tag] = first.pfn;
		} else if (pfn_of[tag] != first.pfn) {
			fail(f, "buffer page %d at pfn %#llx and %#llx", tag,
			     ULL(pfn_of[tag]), ULL(first.pfn));
			wrong = true;
		}
		bad += wrong;
	}
	return bad;
}

/* Once all is unmapped, DMA through @routes must fault at every IOVA. */
static unsigned int check_unmapped(struct stress *s,
				   const struct route *routes, unsigned int n,
				   uint8_t *data, struct failure *f)
{
	unsigned int i, k, bad = 0;
	struct iopte pte;
	uint64_t iova, fault;
	int ret;

	for (i = 0; i < s->window; i++) {
		iova = win_iova(s, i);
		for (k = 0; k < n; k++) {
			ret = dma(s->fd, &routes[k], iova, data, s->page,
				  false, &fault);
			if (ret == EIO && fault == iova &&
			    route_iopte(s->fd, &routes[k], iova,
					&pte) == ENOENT)
				continue;
			fail(f, "IOVA %#llx, dev %u PASID %u: DMA %d at %#llx",
			     ULL(iova), routes[k].dev, routes[k].pasid, ret,
			     ULL(fault));
			bad++;
		}
	}
	return bad;
}

TEST(map_unmap_copy_overlapping)
{
	const uint64_t seed = stress_seed();
	struct overlap t;
	struct stress *s = &t.s;
	struct worker w[THREADS] = {};
	uint64_t pfn_of[OVERLAP_WINDOW], pin, start;
	struct failure f = {};
	int64_t pins;
	uint32_t dev[R_P1 + 1];
	uint8_t *data;
	char line[512];
	unsigned int i;

	TH_LOG("seed %llu (IOASID_STRESS_SEED replays it)", ULL(seed));
	ASSERT_EQ(0, stress_init(s, OVERLAP_WINDOW, seed));
	data = malloc(s->page);
	ASSERT_NE(NULL, data);
	ASSERT_EQ(0, ioasid_alloc(s->fd, &t.a));
	ASSERT_EQ(0, ioasid_alloc(s->fd, &t.b));
	ASSERT_EQ(0, allow_window(s, t.a));
	ASSERT_EQ(0, allow_window(s, t.b));

	ASSERT_EQ(0, stress_mock_device(s, false, 0, &dev[R_A]));
	ASSERT_EQ(0, stress_mock_device(s, true, 0, &dev[R_SA]));
	ASSERT_EQ(0, stress_mock_device(s, false, 0, &dev[R_B]));
	ASSERT_EQ(0, stress_mock_device(s, true, 0, &dev[R_SB]));
	ASSERT_EQ(0, stress_mock_device(s, false, PASID_BITS, &dev[R_P1]));
	ASSERT_EQ(0, mock_attach(s->fd, dev[R_A], t.a));
	ASSERT_EQ(0, mock_attach(s->fd, dev[R_SA], t.a));
	ASSERT_EQ(0, mock_attach(s->fd, dev[R_B], t.b));
	ASSERT_EQ(0, mock_attach(s->fd, dev[R_SB], t.b));
	for (i = 0; i < R_ALL; i++) {
		t.routes[i].dev = i < R_P1 ? dev[i] : dev[R_P1];
		t.routes[i].pasid = 0;
	}
	for (i = 0; i < PASIDS; i++) {
		t.routes[R_P1 + i].pasid = 1 + i;
		ASSERT_EQ(0, mock_attach_pasid(s->fd, dev[R_P1], 1 + i, t.b));
	}
	t.routes[R_P5].pasid = PASIDS + 1;

	pin = vm_kb("VmPin");
	pins = pins_held();
	ASSERT_LE(0, pins);
	ASSERT_NE(UINT64_MAX, pin);
	for (i = 0; i < THREADS; i++)
		w[i].step = step_overlap;
	start = now_ms();
	s->deadline = start + RUN_MS;
	ASSERT_EQ(0, run_workers(s, w, THREADS));
	TH_LOG("%lu operations in %llu ms:%s", s->ops, ULL(now_ms() - start),
	       summary(s, line, sizeof(line)));
	EXPECT_EQ(0, s->fail.set) TH_LOG("%s", s->fail.why);

	/* Both tables of each IOASID hold the same, and only buffer pages. */
	for (i = 0; i < s->buf_pages; i++)
		pfn_of[i] = UINT64_MAX;
	EXPECT_EQ(0, check_tables(s, &t.routes[R_A], 2, pfn_of, data, &f))
		TH_LOG("A: %s", f.why);
	f.set = 0;
	EXPECT_EQ(0, check_tables(s, &t.routes[R_B], 3, pfn_of, data, &f))
		TH_LOG("B: %s", f.why);

	EXPECT_EQ(0, unmap_all(s->fd, t.a, NULL));
	EXPECT_EQ(0, unmap_all(s->fd, t.b, NULL));
	EXPECT_EQ(0, fd_pages(s->fd));
	EXPECT_EQ(pin, vm_kb("VmPin"));
	EXPECT_EQ(pins, pins_held());
	f.set = 0;
	EXPECT_EQ(0, check_unmapped(s, t.routes, R_ATTACHED, data, &f))
		TH_LOG("%s", f.why);
	free(data);
	stress_fini(s);
}

/*
 * 2. attach_detach_race: devices and PASIDs move between three IOASIDs,
 * which threads destroy and allocate again, while others map, unmap and
 * do DMA in them.  Each device's attachment is tracked under a lock held
 * across the ioctls that change it, so that the results of attach, detach
 * and destroy can be checked exactly.
 */

#define SLOTS		3
#define RID_DEVS	2

struct churn {
	struct stress s;
	/* the IOASIDs in use; 0 in a slot whose IOASID was destroyed */
	uint32_t ids[SLOTS];
	pthread_mutex_t table_lock;
	/*
	 * Read-held across a destroy, the checks after it and taking its id
	 * out of the table; write-held to allocate, which could hand that
	 * id out again.
	 */
	pthread_rwlock_t alloc_lock;
	uint32_t dev[RID_DEVS];
	uint32_t dev_at[RID_DEVS];	/* the IOASID each is attached to */
	pthread_mutex_t dev_lock[RID_DEVS];
	uint32_t pdev;			/* the PASID device */
	uint32_t pasid_at[PASIDS];
	pthread_mutex_t pasid_lock[PASIDS];
};

static uint32_t slot_id(struct churn *t, struct rng *r)
{
	return __atomic_load_n(&t->ids[below(r, SLOTS)], __ATOMIC_RELAXED);
}

static void set_slot(struct churn *t, unsigned int slot, uint32_t id)
{
	__atomic_store_n(&t->ids[slot], id, __ATOMIC_RELAXED);
}

/* Allocates IOASIDs for the empty slots. */
static void refill(struct churn *t)
{
	struct stress *s = &t->s;
	unsigned int slot;
	uint32_t id;

	pthread_rwlock_wrlock(&t->alloc_lock);
	pthread_mutex_lock(&t->table_lock);
	for (slot = 0; slot < SLOTS; slot++) {
		if (t->ids[slot])
			continue;
		if (!check(s, OP_ALLOC, ioasid_alloc(s->fd, &id), 0, END))
			set_slot(t, slot, id);
	}
	pthread_mutex_unlock(&t->table_lock);
	pthread_rwlock_unlock(&t->alloc_lock);
}

/*
 * IOASID @id was just destroyed, so nothing was attached to it and
 * nothing can be since: no attachment may name it.
 */
static void destroyed(struct churn *t, uint32_t id)
{
	unsigned int i, slot;

	for (i = 0; i < RID_DEVS; i++) {
		pthread_mutex_lock(&t->dev_lock[i]);
		if (t->dev_at[i] == id)
			fail(&t->s.fail, "destroy: IOASID %u had device %u",
			     id, t->dev[i]);
		pthread_mutex_unlock(&t->dev_lock[i]);
	}
	for (i = 0; i < PASIDS; i++) {
		pthread_mutex_lock(&t->pasid_lock[i]);
		if (t->pasid_at[i] == id)
			fail(&t->s.fail, "destroy: IOASID %u had PASID %u",
			     id, i + 1);
		pthread_mutex_unlock(&t->pasid_lock[i]);
	}
	pthread_mutex_lock(&t->table_lock);
	for (slot = 0; slot < SLOTS; slot++)
		if (t->ids[slot] == id)
			set_slot(t, slot, 0);
	pthread_mutex_unlock(&t->table_lock);
}

static void churn_destroy(struct churn *t, struct rng *r)
{
	struct stress *s = &t->s;
	uint32_t id = slot_id(t, r);
	int ret;

	pthread_rwlock_rdlock(&t->alloc_lock);
	/* Busy while attached or in use; gone if another destroyed it. */
	ret = ioasid_destroy(s->fd, id);
	check(s, OP_DESTROY, ret, 0, EBUSY, ENOENT, END);
	if (!ret)
		destroyed(t, id);
	pthread_rwlock_unlock(&t->alloc_lock);
	if (!ret)
		refill(t);
}

static void churn_attach(struct churn *t, struct rng *r)
{
	unsigned int i = below(r, RID_DEVS);
	struct stress *s = &t->s;
	uint32_t id = slot_id(t, r);
	int ret;

	pthread_mutex_lock(&t->dev_lock[i]);
	ret = mock_attach(s->fd, t->dev[i], id);
	/* Attached there already, the IOASID cannot have gone. */
	if (id && id == t->dev_at[i])
		check(s, OP_ATTACH, ret, 0, END);
	else
		check(s, OP_ATTACH, ret, 0, ENOENT, END);
	if (!ret)
		t->dev_at[i] = id;
	pthread_mutex_unlock(&t->dev_lock[i]);
}

static void churn_detach(struct churn *t, struct rng *r)
{
	unsigned int i = below(r, RID_DEVS);
	struct stress *s = &t->s;

	pthread_mutex_lock(&t->dev_lock[i]);
	check(s, OP_DETACH, mock_detach(s->fd, t->dev[i]), 0, END);
	t->dev_at[i] = 0;
	pthread_mutex_unlock(&t->dev_lock[i]);
}

static void churn_attach_pasid(struct churn *t, struct rng *r)
{
	unsigned int i = below(r, PASIDS);
	struct stress *s = &t->s;
	uint32_t id = slot_id(t, r), at;
	int ret;

	pthread_mutex_lock(&t->pasid_lock[i]);
	at = t->pasid_at[i];
	ret = mock_attach_pasid(s->fd, t->pdev, i + 1, id);
	if (!id)
		check(s, OP_ATTACH_PASID, ret, ENOENT, END);
	else if (at == id)
		check(s, OP_ATTACH_PASID, ret, 0, END);
	else	/* attached elsewhere, it moves */
		check(s, OP_ATTACH_PASID, ret, 0, ENOENT, END);
	if (!ret)
		t->pasid_at[i] = id;
	pthread_mutex_unlock(&t->pasid_lock[i]);
}

static void churn_detach_pasid(struct churn *t, struct rng *r)
{
	unsigned int i = below(r, PASIDS);
	struct stress *s = &t->s;
	int ret;

	pthread_mutex_lock(&t->pasid_lock[i]);
	ret = mock_detach_pasid(s->fd, t->pdev, i + 1);
	if (t->pasid_at[i])
		check(s, OP_DETACH_PASID, ret, 0, END);
	else
		check(s, OP_DETACH_PASID, ret, ENOENT, END);
	t->pasid_at[i] = 0;
	pthread_mutex_unlock(&t->pasid_lock[i]);
}

/*
 * DMA and IOPTE reads, half of them with the attachment held still so
 * that a detached route can be told to fault.
 */
static void churn_look(struct churn *t, struct worker *w)
{
	unsigned int i = below(&w->rng, RID_DEVS + PASIDS);
	bool pasid = i >= RID_DEVS, locked = below(&w->rng, 2);
	pthread_mutex_t *lock = pasid ? &t->pasid_lock[i - RID_DEVS] :
					&t->dev_lock[i];
	struct route route = {
		.dev = pasid ? t->pdev : t->dev[i],
		.pasid = pasid ? i - RID_DEVS + 1 : 0,
	};
	uint64_t iova = win_iova(&t->s, below(&w->rng, t->s.window)), fault;
	struct stress *s = &t->s;
	struct iopte pte;
	uint32_t at;
	int ret;

	if (!locked) {
		if (below(&w->rng, 2)) {
			random_read(w, &route);
		} else {
			ret = route_iopte(s->fd, &route, iova, &pte);
			check(s, OP_IOPTE, ret, 0, ENOENT, ENODEV, END);
		}
		return;
	}

	pthread_mutex_lock(lock);
	at = pasid ? t->pasid_at[i - RID_DEVS] : t->dev_at[i];
	if (below(&w->rng, 2)) {
		ret = dma(s->fd, &route, iova, w->scratch, s->page, false,
			  &fault);
		if (at) {
			check(s, OP_DMA_READ, ret, 0, EIO, END);
			check_read(s, w->scratch, iova, s->page, ret, fault);
		} else if (!check(s, OP_DMA_READ, ret, EIO, END) &&
			   fault != iova) {
			fail(&s->fail, "dma_read: detached, %#llx at %#llx",
			     ULL(fault), ULL(iova));
		}
	} else {
		ret = route_iopte(s->fd, &route, iova, &pte);
		if (at)
			check(s, OP_IOPTE, ret, 0, ENOENT, END);
		else
			check(s, OP_IOPTE, ret, ENODEV, END);
	}
	pthread_mutex_unlock(lock);
}

static void step_churn(struct worker *w)
{
	struct churn *t = (struct churn *)w->s;
	struct stress *s = w->s;
	struct rng *r = &w->rng;
	unsigned int choice = below(r, 100);

	/*
	 * Fixed maps only: a kernel-chosen IOVA in an IOASID with nothing
	 * attached could land outside the devices' aperture.
	 */
	if (choice < 15)
		churn_attach(t, r);
	else if (choice < 21)
		churn_detach(t, r);
	else if (choice < 31)
		churn_attach_pasid(t, r);
	else if (choice < 37)
		churn_detach_pasid(t, r);
	else if (choice < 57)
		random_map_fixed(s, r, slot_id(t, r), ENOENT);
	else if (choice < 72)
		random_unmap(s, r, slot_id(t, r));
	else if (choice < 93)
		churn_look(t, w);
	else
		churn_destroy(t, r);
}

TEST(attach_detach_race)
{
	const uint64_t seed = stress_seed();
	struct churn t;
	struct stress *s = &t.s;
	struct worker w[THREADS] = {};
	uint64_t pin, start;
	int64_t pins;
	unsigned int i;
	char line[512];
	uint32_t id;
	int ret;

	TH_LOG("seed %llu (IOASID_STRESS_SEED replays it)", ULL(seed));
	ASSERT_EQ(0, stress_init(s, 32, seed));
	memset(t.ids, 0, sizeof(t.ids));
	memset(t.dev_at, 0, sizeof(t.dev_at));
	memset(t.pasid_at, 0, sizeof(t.pasid_at));
	pthread_mutex_init(&t.table_lock, NULL);
	pthread_rwlock_init(&t.alloc_lock, NULL);
	for (i = 0; i < RID_DEVS; i++)
		pthread_mutex_init(&t.dev_lock[i], NULL);
	for (i = 0; i < PASIDS; i++)
		pthread_mutex_init(&t.pasid_lock[i], NULL);
	refill(&t);
	ASSERT_EQ(0, s->fail.set) TH_LOG("%s", s->fail.why);
	/* One table for the default device, another for the small one. */
	ASSERT_EQ(0, stress_mock_device(s, false, 0, &t.dev[0]));
	ASSERT_EQ(0, stress_mock_device(s, true, 0, &t.dev[1]));
	ASSERT_EQ(0, stress_mock_device(s, false, PASID_BITS, &t.pdev));

	pin = vm_kb("VmPin");
	pins = pins_held();
	ASSERT_LE(0, pins);
	ASSERT_NE(UINT64_MAX, pin);
	for (i = 0; i < THREADS; i++)
		w[i].step = step_churn;
	start = now_ms();
	s->deadline = start + RUN_MS;
	ASSERT_EQ(0, run_workers(s, w, THREADS));
	TH_LOG("%lu operations in %llu ms:%s", s->ops, ULL(now_ms() - start),
	       summary(s, line, sizeof(line)));
	EXPECT_EQ(0, s->fail.set) TH_LOG("%s", s->fail.why);

	/* Idle, with nothing attached or mapped, every IOASID can go. */
	for (i = 0; i < RID_DEVS; i++)
		EXPECT_EQ(0, mock_detach(s->fd, t.dev[i]));
	for (i = 0; i < PASIDS; i++)
		EXPECT_EQ(t.pasid_at[i] ? 0 : ENOENT,
			  mock_detach_pasid(s->fd, t.pdev, i + 1))
			TH_LOG("PASID %u", i + 1);
	for (i = 0; i < SLOTS; i++) {
		if (!t.ids[i])
			continue;
		EXPECT_EQ(0, unmap_all(s->fd, t.ids[i], NULL))
			TH_LOG("IOASID %u", t.ids[i]);
		EXPECT_EQ(0, ioasid_destroy(s->fd, t.ids[i]))
			TH_LOG("IOASID %u", t.ids[i]);
	}
	EXPECT_EQ(0, fd_pages(s->fd));
	EXPECT_EQ(pin, vm_kb("VmPin"));
	EXPECT_EQ(pins, pins_held());

	/* The devices go too, and the fd holds nothing else. */
	EXPECT_EQ(0, ioasid_destroy(s->fd, t.dev[0]));
	EXPECT_EQ(0, ioasid_destroy(s->fd, t.dev[1]));
	EXPECT_EQ(0, ioasid_destroy(s->fd, t.pdev));
	for (id = 1; id <= 64; id++) {
		ret = ioasid_destroy(s->fd, id);
		EXPECT_EQ(ENOENT, ret) TH_LOG("object %u was left", id);
	}
	stress_fini(s);
}

/*
 * 3. close_while_busy: a child's threads hammer its own fd while its main
 * thread closes the fd and exits under them, or exits with it open.  The
 * parent then finds nothing of the child's left: no pins charged to the
 * user, no mock devices.
 */

#define CHILDREN	8
#define CHILDREN_MS	3000

struct busy {
	struct stress s;
	uint32_t ids[2];
	uint32_t dev[2];	/* [1] has PASIDs */
	uint32_t setup_line;	/* where the child's setup failed, or 0 */
};

static void step_busy(struct worker *w)
{
	struct busy *t = (struct busy *)w->s;
	struct stress *s = w->s;
	struct rng *r = &w->rng;
	unsigned int choice = below(r, 100), i = below(r, 2);
	uint32_t id = t->ids[below(r, 2)];
	int ret;

	if (choice < 20) {
		random_map_fixed(s, r, id, 0);
	} else if (choice < 25) {
		random_map_any(s, r, id);
	} else if (choice < 45) {
		random_unmap(s, r, id);
	} else if (choice < 50) {
		random_copy(s, r, t->ids[1], t->ids[0]);
	} else if (choice < 60) {
		ret = mock_attach(s->fd, t->dev[i], id);
		check(s, OP_ATTACH, ret, 0, END);
	} else if (choice < 64) {
		ret = mock_detach(s->fd, t->dev[i]);
		check(s, OP_DETACH, ret, 0, END);
	} else if (choice < 72) {
		ret = mock_attach_pasid(s->fd, t->dev[1], 1 + below(r, 2), id);
		check(s, OP_ATTACH_PASID, ret, 0, END);
	} else if (choice < 76) {
		ret = mock_detach_pasid(s->fd, t->dev[1], 1 + below(r, 2));
		check(s, OP_DETACH_PASID, ret, 0, ENOENT, END);
	} else {
		struct route route = {
			.dev = t->dev[i],
			.pasid = i ? below(r, 3) : 0,
		};

		random_read(w, &route);
	}
}

/* Notes the first of the child's setup steps to fail. */
static void setup(struct busy *t, int ret, unsigned int line)
{
	if (ret && !t->setup_line)
		t->setup_line = line;
}

/* The child, which leaves in @t what went wrong. */
static void __noreturn busy_child(struct busy *t, int parent_fd)
{
	struct stress *s = &t->s;
	struct worker w[THREADS] = {};
	uint64_t seed = s->seed, close_at;
	unsigned int i, close_ops;
	struct rng r;

	close(parent_fd);
	if (stress_init(s, 32, seed))
		_exit(2);
	rng_init(&r, seed, THREADS);
	setup(t, ioasid_alloc(s->fd, &t->ids[0]), __LINE__);
	setup(t, ioasid_alloc(s->fd, &t->ids[1]), __LINE__);
	setup(t, allow_window(s, t->ids[0]), __LINE__);
	setup(t, allow_window(s, t->ids[1]), __LINE__);
	setup(t, stress_mock_device(s, true, 0, &t->dev[0]), __LINE__);
	setup(t, stress_mock_device(s, false, PASID_BITS, &t->dev[1]), __LINE__);
	setup(t, mock_attach(s->fd, t->dev[0], t->ids[0]), __LINE__);
	setup(t, mock_attach(s->fd, t->dev[1], t->ids[1]), __LINE__);
	setup(t, mock_attach_pasid(s->fd, t->dev[1], 1, t->ids[0]),
	      __LINE__);
	setup(t, map_fixed(s->fd, t->ids[0], s->buf, 8 * s->page,
			   WINDOW_START), __LINE__);
	if (t->setup_line)
		_exit(2);

	/* Calls that start once the fd is closed fail so. */
	s->tolerate = EBADF;
	for (i = 0; i < THREADS; i++)
		w[i].step = step_busy;
	s->deadline = now_ms() + RUN_MS;
	/* Mid-way, whether the threads are quick or slow. */
	close_at = now_ms() + 100 + below(&r, 400);
	close_ops = THREADS * OPS_PER_THREAD / 8 +
		    below(&r, THREADS * OPS_PER_THREAD / 2);
	if (start_workers(s, w, THREADS))
		_exit(3);
	while (now_ms() < close_at &&
	       __atomic_load_n(&s->ops, __ATOMIC_RELAXED) < close_ops)
		sleep_ms(1);
	if (below(&r, 3)) {
		close(s->fd);
		sleep_ms(20 + below(&r, 80));
	}
	/* The threads die wherever they are, some inside an ioctl. */
	_exit(0);
}

TEST(close_while_busy)
{
	int devices = count_mock_devices(), status, fd, children = 0;
	uint64_t pin = vm_kb("VmPin"), locked, seed = stress_seed();
	int64_t pins = pins_held();
	uint64_t start = now_ms(), ops = 0, after = 0;
	unsigned int waited;
	struct busy *t;
	pid_t pid;

	TH_LOG("seed %llu (IOASID_STRESS_SEED replays it)", ULL(seed));
	ASSERT_LE(0, devices);
	ASSERT_NE(UINT64_MAX, pin);
	fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	locked = user_locked(fd);
	ASSERT_NE(UINT64_MAX, locked);
	t = mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, t);

	while (children < CHILDREN && now_ms() < start + CHILDREN_MS) {
		memset(t, 0, sizeof(*t));
		t->s.seed = seed + children;
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid)
			busy_child(t, fd);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		children++;
		ops += t->s.ops;
		after += t->s.tolerated;
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
			TH_LOG("child %d: status %#x, setup line %u",
			       children, status, t->setup_line);
		EXPECT_EQ(0, t->s.fail.set)
			TH_LOG("child %d: %s", children, t->s.fail.why);
		if (t->s.fail.set || t->setup_line)
			break;
	}
	TH_LOG("%d children, %llu operations (%llu on a closed fd) in %llu ms",
	       children, ULL(ops), ULL(after), ULL(now_ms() - start));

	/*
	 * The children's fds are released by the time they are reaped; a
	 * little slack, in case the last reference went to a workqueue.
	 */
	for (waited = 0; waited < 2000; waited += 20) {
		if (count_mock_devices() == devices &&
		    user_locked(fd) == locked && pins_held() == pins)
			break;
		sleep_ms(20);
	}
	if (waited)
		TH_LOG("waited %u ms for the children's fds to go", waited);
	EXPECT_EQ(devices, count_mock_devices());
	EXPECT_EQ(locked, user_locked(fd));
	EXPECT_EQ(pin, vm_kb("VmPin"));
	EXPECT_EQ(pins, pins_held());
	EXPECT_EQ(0, fd_pages(fd));
	munmap(t, sizeof(*t));
	close(fd);
}

/*
 * 4. accounting_modes_race: one thread flips the accounting mode, which
 * may change only while nothing is pinned, while the others map and
 * unmap.  Whatever each page was charged to, it must be uncharged from.
 */

struct modes {
	struct stress s;
	uint32_t id;
	uint64_t mode;	/* the last mode set, by the one flipping thread */
};

static void step_mapper(struct worker *w)
{
	struct modes *t = (struct modes *)w->s;
	struct stress *s = w->s;
	struct rng *r = &w->rng;
	unsigned int choice = below(r, 100);
	uint64_t out;

	if (choice < 40) {
		random_map_fixed(s, r, t->id, 0);
	} else if (choice < 50) {
		random_map_any(s, r, t->id);
	} else if (choice < 85) {
		random_unmap(s, r, t->id);
	} else {
		/* Everything, so that nothing is pinned for a moment. */
		check(s, OP_UNMAP, unmap_range(s->fd, t->id, WINDOW_START,
					       s->window * s->page, &out),
		      0, ENOENT, END);
	}
}

static void step_flipper(struct worker *w)
{
	struct modes *t = (struct modes *)w->s;
	struct stress *s = w->s;
	uint64_t mode = below(&w->rng, 2) ? IOASID_ACCOUNT_PROCESS :
					    IOASID_ACCOUNT_USER;
	int ret;

	ret = set_accounting(s->fd, mode);
	/* Busy while pages are pinned, unless the mode stays. */
	if (mode == t->mode)
		check(s, OP_OPTION, ret, 0, END);
	else
		check(s, OP_OPTION, ret, 0, EBUSY, END);
	if (!ret)
		t->mode = mode;
	if (accounting_mode(s->fd) != t->mode)
		fail(&s->fail, "option: mode %llu set, %llu read", ULL(t->mode),
		     ULL(accounting_mode(s->fd)));
}

TEST(accounting_modes_race)
{
	const uint64_t seed = stress_seed();
	struct modes t;
	struct stress *s = &t.s;
	struct worker w[THREADS] = {};
	uint64_t pin, lck, start;
	int64_t pins;
	char line[512];
	uint32_t dev;
	unsigned int i;

	TH_LOG("seed %llu (IOASID_STRESS_SEED replays it)", ULL(seed));
	ASSERT_EQ(0, stress_init(s, 16, seed));
	t.mode = IOASID_ACCOUNT_USER;
	ASSERT_EQ(0, ioasid_alloc(s->fd, &t.id));
	ASSERT_EQ(0, allow_window(s, t.id));
	ASSERT_EQ(0, stress_mock_device(s, false, 0, &dev));
	ASSERT_EQ(0, mock_attach(s->fd, dev, t.id));
	pin = vm_kb("VmPin");
	pins = pins_held();
	ASSERT_LE(0, pins);
	lck = vm_kb("VmLck");
	ASSERT_NE(UINT64_MAX, pin);
	ASSERT_NE(UINT64_MAX, lck);

	for (i = 0; i < THREADS; i++)
		w[i].step = i ? step_mapper : step_flipper;
	start = now_ms();
	s->deadline = start + RUN_MS;
	ASSERT_EQ(0, run_workers(s, w, THREADS));
	TH_LOG("%lu operations in %llu ms:%s", s->ops, ULL(now_ms() - start),
	       summary(s, line, sizeof(line)));
	EXPECT_EQ(0, s->fail.set) TH_LOG("%s", s->fail.why);

	EXPECT_EQ(0, unmap_all(s->fd, t.id, NULL));
	EXPECT_EQ(0, fd_pages(s->fd));
	EXPECT_EQ(pin, vm_kb("VmPin"));
	EXPECT_EQ(pins, pins_held());
	EXPECT_EQ(lck, vm_kb("VmLck"));
	/* With nothing pinned, the mode can change both ways. */
	EXPECT_EQ(0, set_accounting(s->fd, IOASID_ACCOUNT_PROCESS));
	EXPECT_EQ(IOASID_ACCOUNT_PROCESS, accounting_mode(s->fd));
	EXPECT_EQ(0, set_accounting(s->fd, IOASID_ACCOUNT_USER));
	EXPECT_EQ(IOASID_ACCOUNT_USER, accounting_mode(s->fd));
	stress_fini(s);
}

/*
 * 5. one_ioasid_two_mappers: two threads map and unmap single pages in one
 * IOASID with a device attached, each in pages of its own and both in a
 * few shared ones, while a third attaches and detaches a device that needs
 * a table of its own, so that each attach fills a new table beside maps
 * and unmaps of the same IOASID.  A mapper's own page is mapped exactly
 * when the mapper thinks so: a map there succeeds, an unmap removes the
 * page, and a DMA right after the call returns reads the page's tag or
 * faults at it.  On a shared page a map succeeds or finds it mapped
 * (EADDRINUSE) and an unmap removes it or finds nothing (ENOENT).  At the
 * end every shared page was mapped as often as unmapped, or once more,
 * and both tables hold exactly the pages left mapped.
 */

#define DUO_OWN		16	/* pages each mapper has to itself */
#define DUO_SHARED	8	/* pages both mappers use */
#define DUO_WINDOW	(2 * DUO_OWN + DUO_SHARED)

struct duo {
	struct stress s;
	uint32_t id;
	uint32_t dev;		/* attached throughout */
	uint32_t other;		/* the third thread's, needing its own table */
	struct worker *workers;
	bool own_mapped[2][DUO_OWN];
	int shared_maps[DUO_SHARED];	/* successful maps less unmaps */
};

/* Reads window page @p through @dev: 0 and its tag, or EIO at its IOVA. */
static int duo_read(struct duo *t, uint32_t dev, unsigned int p, bool mapped,
		    uint8_t *data)
{
	struct stress *s = &t->s;
	struct route r = { .dev = dev };
	uint64_t iova = win_iova(s, p), fault = 0;
	int ret = dma(s->fd, &r, iova, data, s->page, false, &fault);

	if (mapped && !ret && page_tag(s, data) == (int)p)
		return 0;
	if (!mapped && ret == EIO && fault == iova)
		return 0;
	fail(&s->fail, "dev %u: IOVA %#llx %s: read %d, fault %#llx, tag %d",
	     dev, ULL(iova), mapped ? "mapped" : "unmapped", ret, ULL(fault),
	     ret ? -1 : page_tag(s, data));
	return -1;
}

static void step_duo_mapper(struct worker *w)
{
	struct duo *t = (struct duo *)w->s;
	struct stress *s = w->s;
	unsigned int m = w - t->workers, p, i;
	uint64_t out = 0;
	int ret;

	if (below(&w->rng, 4)) {
		i = below(&w->rng, DUO_OWN);
		p = m * DUO_OWN + i;
		if (!t->own_mapped[m][i]) {
			ret = map_fixed(s->fd, t->id, s->buf + p * s->page,
					s->page, win_iova(s, p));
			if (!check(s, OP_MAP_FIXED, ret, 0, END))
				t->own_mapped[m][i] = true;
		} else {
			ret = unmap_range(s->fd, t->id, win_iova(s, p),
					  s->page, &out);
			if (!check(s, OP_UNMAP, ret, 0, END)) {
				t->own_mapped[m][i] = false;
				if (out != s->page)
					fail(&s->fail, "unmap: %llu bytes",
					     ULL(out));
			}
		}
		duo_read(t, t->dev, p, t->own_mapped[m][i], w->scratch);
		return;
	}
	i = below(&w->rng, DUO_SHARED);
	p = 2 * DUO_OWN + i;
	if (below(&w->rng, 2)) {
		ret = map_fixed(s->fd, t->id, s->buf + p * s->page, s->page,
				win_iova(s, p));
		if (!check(s, OP_MAP_FIXED, ret, 0, EADDRINUSE, END))
			__atomic_add_fetch(&t->shared_maps[i], 1,
					   __ATOMIC_RELAXED);
		return;
	}
	ret = unmap_range(s->fd, t->id, win_iova(s, p), s->page, &out);
	if (!check(s, OP_UNMAP, ret, 0, ENOENT, END)) {
		__atomic_sub_fetch(&t->shared_maps[i], 1, __ATOMIC_RELAXED);
		if (out != s->page)
			fail(&s->fail, "unmap: %llu bytes", ULL(out));
	}
}

static void step_duo_attacher(struct worker *w)
{
	struct duo *t = (struct duo *)w->s;
	struct stress *s = w->s;

	check(s, OP_ATTACH, mock_attach(s->fd, t->other, t->id), 0, END);
	check(s, OP_DETACH, mock_detach(s->fd, t->other), 0, END);
}

TEST(one_ioasid_two_mappers)
{
	const uint64_t seed = stress_seed();
	struct duo t = {};
	struct stress *s = &t.s;
	struct worker w[3] = {};
	uint64_t pin, start;
	int64_t pins;
	char line[512];
	unsigned int p;
	uint8_t *data;
	bool mapped;

	TH_LOG("seed %llu (IOASID_STRESS_SEED replays it)", ULL(seed));
	ASSERT_EQ(0, stress_init(s, DUO_WINDOW, seed));
	data = malloc(s->page);
	ASSERT_NE(NULL, data);
	ASSERT_EQ(0, ioasid_alloc(s->fd, &t.id));
	ASSERT_EQ(0, allow_window(s, t.id));
	ASSERT_EQ(0, stress_mock_device(s, false, 0, &t.dev));
	ASSERT_EQ(0, stress_mock_device(s, true, 0, &t.other));
	ASSERT_EQ(0, mock_attach(s->fd, t.dev, t.id));
	pin = vm_kb("VmPin");
	pins = pins_held();
	ASSERT_LE(0, pins);
	ASSERT_NE(UINT64_MAX, pin);

	t.workers = w;
	w[0].step = step_duo_mapper;
	w[1].step = step_duo_mapper;
	w[2].step = step_duo_attacher;
	start = now_ms();
	s->deadline = start + RUN_MS;
	ASSERT_EQ(0, run_workers(s, w, 3));
	TH_LOG("%lu operations in %llu ms:%s", s->ops, ULL(now_ms() - start),
	       summary(s, line, sizeof(line)));
	EXPECT_EQ(0, s->fail.set) TH_LOG("%s", s->fail.why);

	/* A table filled now, and the one filled all along, agree. */
	ASSERT_EQ(0, mock_attach(s->fd, t.other, t.id));
	for (p = 0; p < DUO_WINDOW; p++) {
		if (p < 2 * DUO_OWN) {
			mapped = t.own_mapped[p / DUO_OWN][p % DUO_OWN];
		} else {
			int n = t.shared_maps[p - 2 * DUO_OWN];

			EXPECT_TRUE(n == 0 || n == 1) TH_LOG("page %u: %d", p, n);
			mapped = n == 1;
		}
		EXPECT_EQ(0, duo_read(&t, t.dev, p, mapped, data))
			TH_LOG("%s", s->fail.why);
		EXPECT_EQ(0, duo_read(&t, t.other, p, mapped, data))
			TH_LOG("%s", s->fail.why);
	}

	EXPECT_EQ(0, unmap_all(s->fd, t.id, NULL));
	EXPECT_EQ(0, fd_pages(s->fd));
	EXPECT_EQ(pin, vm_kb("VmPin"));
	EXPECT_EQ(pins, pins_held());
	free(data);
	stress_fini(s);
}

/*
 * 6. alloc_lookup_destroy_close: object lifetimes alone, without the mock.
 * Threads allocate, look up, restrict and destroy IOASIDs by ids they
 * share, while another opens and closes fds full of objects.  Every call
 * must end in an errno the uAPI documents, and the table must be
 * consistent afterwards.  Bounded by a count and a time limit.
 */

#define OBJ_ITERATIONS	20000
#define OBJ_SECONDS	3
#define OBJ_ID_SPACE	32

struct objects {
	int fd;
	long page;
	time_t deadline;
	int bad_errno;
	int bad_cmd;
	unsigned long busy;	/* destroys refused because of a lookup */
	unsigned long calls;
};

static int obj_call(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? errno : 0;
}

static void obj_note_bad(struct objects *s, int cmd, int err)
{
	__atomic_store_n(&s->bad_cmd, cmd, __ATOMIC_RELAXED);
	__atomic_store_n(&s->bad_errno, err, __ATOMIC_RELAXED);
}

static void obj_step(struct objects *s, unsigned int *seed)
{
	uint32_t id = 1 + rand_r(seed) % OBJ_ID_SPACE;
	struct ioasid_iova_range range = {
		.start = (rand_r(seed) % 64) * s->page,
	};
	int ret;

	range.last = range.start + s->page - 1;
	switch (rand_r(seed) % 4) {
	case 0: {
		struct ioasid_alloc cmd = { .size = sizeof(cmd) };

		ret = obj_call(s->fd, IOASID_ALLOC, &cmd);
		if (ret)
			obj_note_bad(s, IOASID_CMD_ALLOC, ret);
		break;
	}
	case 1: {
		struct ioasid_destroy cmd = { .size = sizeof(cmd), .id = id };

		ret = obj_call(s->fd, IOASID_DESTROY, &cmd);
		if (ret == EBUSY)
			__atomic_add_fetch(&s->busy, 1, __ATOMIC_RELAXED);
		else if (ret && ret != ENOENT)
			obj_note_bad(s, IOASID_CMD_DESTROY, ret);
		break;
	}
	case 2: {
		struct ioasid_iova_range out[2];
		struct ioasid_iova_ranges cmd = {
			.size = sizeof(cmd), .ioasid = id, .num_ranges = 2,
			.ranges = (uintptr_t)out,
		};

		ret = obj_call(s->fd, IOASID_IOVA_RANGES, &cmd);
		if (ret && ret != ENOENT && ret != EMSGSIZE)
			obj_note_bad(s, IOASID_CMD_IOVA_RANGES, ret);
		break;
	}
	default: {
		struct ioasid_set_allowed_ranges cmd = {
			.size = sizeof(cmd), .ioasid = id, .num_ranges = 1,
			.ranges = (uintptr_t)&range,
		};

		ret = obj_call(s->fd, IOASID_SET_ALLOWED_RANGES, &cmd);
		if (ret && ret != ENOENT)
			obj_note_bad(s, IOASID_CMD_SET_ALLOWED_RANGES, ret);
		break;
	}
	}
	__atomic_add_fetch(&s->calls, 1, __ATOMIC_RELAXED);
}

static void *obj_worker(void *arg)
{
	struct objects *s = arg;
	unsigned int seed = (unsigned int)(uintptr_t)&seed ^ time(NULL);
	int i;

	for (i = 0; i < OBJ_ITERATIONS && time(NULL) < s->deadline; i++)
		obj_step(s, &seed);
	return NULL;
}

/* Opens fds, fills them and closes them while the workers run. */
static void *obj_closer(void *arg)
{
	struct objects *s = arg;
	int i;

	while (time(NULL) < s->deadline) {
		int fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
		struct ioasid_alloc cmd = { .size = sizeof(cmd) };

		if (fd < 0) {
			obj_note_bad(s, -1, errno);
			break;
		}
		for (i = 0; i < 16; i++)
			if (obj_call(fd, IOASID_ALLOC, &cmd))
				obj_note_bad(s, IOASID_CMD_ALLOC, errno);
		close(fd);
	}
	return NULL;
}

TEST(alloc_lookup_destroy_close)
{
	struct objects s = { .page = sysconf(_SC_PAGESIZE) };
	pthread_t threads[THREADS + 1];
	struct ioasid_alloc alloc = { .size = sizeof(alloc) };
	uint32_t id, left = 0;
	int i;

	s.fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, s.fd);
	s.deadline = time(NULL) + OBJ_SECONDS;
	for (i = 0; i < THREADS; i++)
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, obj_worker, &s));
	ASSERT_EQ(0, pthread_create(&threads[THREADS], NULL, obj_closer, &s));
	for (i = 0; i <= THREADS; i++)
		pthread_join(threads[i], NULL);

	EXPECT_EQ(0, s.bad_errno)
		TH_LOG("ioctl %d failed with %s", s.bad_cmd, strerror(s.bad_errno));
	TH_LOG("%lu calls, %lu destroys refused while in use", s.calls, s.busy);

	/* Idle again: every object left can be destroyed exactly once. */
	for (id = 1; id <= OBJ_ID_SPACE + THREADS * OBJ_ITERATIONS; id++) {
		struct ioasid_destroy cmd = { .size = sizeof(cmd), .id = id };
		int ret = obj_call(s.fd, IOASID_DESTROY, &cmd);

		if (!ret)
			left++;
		else
			ASSERT_EQ(ENOENT, ret) TH_LOG("id %u", id);
		ASSERT_EQ(ENOENT, obj_call(s.fd, IOASID_DESTROY, &cmd));
	}
	TH_LOG("%u objects were left", left);
	EXPECT_EQ(0, obj_call(s.fd, IOASID_ALLOC, &alloc));
	close(s.fd);
}

TEST_HARNESS_MAIN
