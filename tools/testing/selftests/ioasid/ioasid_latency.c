// SPDX-License-Identifier: GPL-2.0-only
/*
 * How long one call into /dev/ioasid keeps its CPU from everything else.
 * On a kernel without preemption a task in the kernel gives the CPU up
 * only where it reschedules, so a loop over every page of a large mapping
 * that never does is a soft lockup in waiting.
 *
 * A probe thread at real-time priority, pinned to the CPU of the thread
 * making the calls, wakes every millisecond and records how late it woke.
 * Its wake-up can run as soon as the caller reschedules or returns to
 * user space, so the largest lateness seen while a call runs is the
 * longest time that call held the CPU without rescheduling.  The calls
 * are those that loop over every page or every mapping: map, copy, unmap
 * and close with gigabytes of 4 KiB pages mapped, attach and detach with
 * their frames held only by the IOMMU page tables, and unmap of tens of
 * thousands of mappings at once.  Each prints its worst lateness, which
 * must stay under LATENESS_BOUND_MS.
 *
 * The buffer that is mapped again and again is a memfd whose pages are
 * shown in a shuffled order, so that no two neighbouring pages are
 * contiguous in memory: the costliest case, one piece per page, whose
 * frames the kernel keeps only in the IOMMU page tables while it can.
 *
 * IOASID_LATENCY_MAPS=<n> in the environment changes how many times each
 * IOAS maps the buffer (MAPS by default), and every other size of the
 * tests in proportion: the one-page copies, the hugetlbfs mapping and the
 * map the fatal signal stops.
 *
 * The test of a fatal signal kills a process in the middle of a map of
 * a gigabyte of memory, on an fd it shares with the test: the map must
 * stop early and leave nothing mapped, pinned or charged.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/ioasid.h>
#include "ioasid_utils.h"
#include "../kselftest_harness.h"

#define PERIOD_NS		1000000ULL	/* the probe's period */
#define BUF_SIZE		(32 * SZ_1M)	/* the buffer mapped again and again */
#define MAPS			32		/* 1 GiB per IOAS */
/* Per map of the buffer: one-page copies in one IOAS, 32 Ki in all */
#define SMALL_COPIES_PER_MAP	1024
/*
 * Under TCG with KASAN, calls that loop over a gigabyte without
 * rescheduling hold the CPU for seconds; the probe alone sees up to a few
 * tens of milliseconds.
 */
#define LATENESS_BOUND_MS	300
/* Per map of the buffer: the map the fatal signal stops, 1 GiB in all */
#define KILL_SIZE_PER_MAP	(32 * SZ_1M)
#define IOVA_BASE		0x100000000ULL
#define NS_PER_MS		1000000ULL

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* The real-time thread that measures how late it gets the CPU. */
struct probe {
	pthread_t thread;
	int cpu;
	int stop;
	uint64_t max_late;	/* ns, the largest since the last reset */
};

static void *probe_main(void *arg)
{
	struct probe *p = arg;

	while (!__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE)) {
		uint64_t target = now_ns() + PERIOD_NS, late, old;
		struct timespec ts = {
			.tv_sec = target / 1000000000ULL,
			.tv_nsec = target % 1000000000ULL,
		};

		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
				       NULL) == EINTR)
			;
		late = now_ns() - target;
		old = __atomic_load_n(&p->max_late, __ATOMIC_RELAXED);
		while (late > old &&
		       !__atomic_compare_exchange_n(&p->max_late, &old, late,
						    false, __ATOMIC_RELAXED,
						    __ATOMIC_RELAXED))
			;
	}
	return NULL;
}

/*
 * Starts the probe on the calling thread's CPU, to which the caller is
 * pinned from now on.  Returns 0, or the errno of what failed.
 */
static int probe_start(struct probe *p)
{
	struct sched_param param = { .sched_priority = 50 };
	pthread_attr_t attr;
	cpu_set_t cpus;
	int ret;

	p->cpu = sched_getcpu();
	if (p->cpu < 0)
		return errno;
	CPU_ZERO(&cpus);
	CPU_SET(p->cpu, &cpus);
	if (sched_setaffinity(0, sizeof(cpus), &cpus))
		return errno;
	pthread_attr_init(&attr);
	pthread_attr_setaffinity_np(&attr, sizeof(cpus), &cpus);
	pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
	pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
	pthread_attr_setschedparam(&attr, &param);
	ret = pthread_create(&p->thread, &attr, probe_main, p);
	pthread_attr_destroy(&attr);
	return ret;
}

static void probe_stop(struct probe *p)
{
	__atomic_store_n(&p->stop, 1, __ATOMIC_RELEASE);
	pthread_join(p->thread, NULL);
}

static void probe_reset(struct probe *p)
{
	/* Two periods, so that a wake-up due before the reset is counted. */
	usleep(2 * PERIOD_NS / 1000);
	__atomic_store_n(&p->max_late, 0, __ATOMIC_RELAXED);
}

/* The largest lateness since the reset, in ms. */
static double probe_read(struct probe *p)
{
	/* Let the probe run once more after the last call. */
	usleep(2 * PERIOD_NS / 1000);
	return __atomic_load_n(&p->max_late, __ATOMIC_RELAXED) /
	       (double)NS_PER_MS;
}

/*
 * @npages pages of a memfd, filled with their index, shown so that page i
 * is memfd page i * 4099 modulo @npages, a power of two: the memfd's
 * pages are allocated in their own order first, so that neighbours in the
 * buffer are not neighbours in memory.
 */
static uint8_t *shuffled_buf(size_t npages, size_t page)
{
	uint8_t *va, *linear;
	size_t i;
	int memfd;

	memfd = syscall(SYS_memfd_create, "ioasid_latency", 0);
	if (memfd < 0)
		return NULL;
	va = mmap(NULL, npages * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		  -1, 0);
	linear = mmap(NULL, npages * page, PROT_READ | PROT_WRITE, MAP_SHARED,
		      memfd, 0);
	if (ftruncate(memfd, npages * page) || va == MAP_FAILED ||
	    linear == MAP_FAILED)
		goto err;
	for (i = 0; i < npages; i++)
		memset(linear + i * page, (uint8_t)i, page);
	munmap(linear, npages * page);
	for (i = 0; i < npages; i++)
		if (mmap(va + i * page, page, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED | MAP_POPULATE, memfd,
			 (i * 4099 % npages) * page) == MAP_FAILED)
			goto err;
	close(memfd);
	return va;
err:
	if (va != MAP_FAILED)
		munmap(va, npages * page);
	close(memfd);
	return NULL;
}

static unsigned int nr_maps(void)
{
	const char *env = getenv("IOASID_LATENCY_MAPS");

	return env && *env ? strtoul(env, NULL, 0) : MAPS;
}

FIXTURE(latency) {
	int fd;
	size_t page;
	uint8_t *buf;		/* map_copy_unmap_close's, the only user */
	unsigned int maps;
	struct probe probe;
	struct pinned start;
	bool over;		/* some operation exceeded the bound */
};

FIXTURE_SETUP(latency)
{
	int ret;

	self->page = sysconf(_SC_PAGESIZE);
	self->maps = nr_maps();
	self->buf = NULL;
	self->fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, get_pinned(self->fd, &self->start));
	ret = probe_start(&self->probe);
	if (ret == EPERM)
		SKIP(return, "a SCHED_FIFO thread needs CAP_SYS_NICE");
	ASSERT_EQ(0, ret);
}

FIXTURE_TEARDOWN(latency)
{
	probe_stop(&self->probe);
	if (self->fd >= 0)
		close(self->fd);
	if (self->buf)
		munmap(self->buf, BUF_SIZE);
}

/* Prints the worst lateness of @what and notes whether it is too much. */
static void report(struct probe *probe, bool *over, const char *what,
		   unsigned int calls)
{
	double ms = probe_read(probe);

	ksft_print_msg("%-28s %6u calls, longest %8.1f ms without rescheduling\n",
		       what, calls, ms);
	if (ms >= LATENESS_BOUND_MS)
		*over = true;
}

static uint64_t map_iova(unsigned int i)
{
	return IOVA_BASE + (uint64_t)i * 2 * BUF_SIZE;
}

/* Maps @buf @maps times into @id. */
static int map_many(int fd, uint32_t id, uint8_t *buf, unsigned int maps)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; i < maps && !ret; i++)
		ret = map_fixed(fd, id, buf, BUF_SIZE, map_iova(i));
	return ret;
}

/*
 * The whole life of gigabytes of 4 KiB pages mapped, copied and unmapped
 * with devices attached and without, and closed with everything mapped.
 */
TEST_F_TIMEOUT(latency, map_copy_unmap_close, 600)
{
	const uint64_t npages = (uint64_t)self->maps * BUF_SIZE / self->page;
	const unsigned int small_copies = self->maps * SMALL_COPIES_PER_MAP;
	uint32_t tables, plain, copies, small, dev, dev2;
	uint64_t spin_end, out;
	struct pinned now;
	unsigned int i;
	int other;

	ksft_print_msg("%u x %llu MiB of 4 KiB pages per IOAS, probe on CPU %d\n",
		       self->maps, BUF_SIZE / SZ_1M, self->probe.cpu);
	/* Thousands of mmap() calls: only this test pays for them. */
	self->buf = shuffled_buf(BUF_SIZE / self->page, self->page);
	ASSERT_NE(NULL, self->buf);
	ASSERT_EQ(0, ioasid_alloc(self->fd, &tables));
	ASSERT_EQ(0, ioasid_alloc(self->fd, &plain));
	ASSERT_EQ(0, ioasid_alloc(self->fd, &copies));
	ASSERT_EQ(0, ioasid_alloc(self->fd, &small));
	ASSERT_EQ(0, mock_device(self->fd, &dev));
	ASSERT_EQ(0, mock_device(self->fd, &dev2));
	ASSERT_EQ(0, mock_attach(self->fd, dev, tables));
	ASSERT_EQ(0, mock_attach(self->fd, dev2, copies));

	/* What the probe sees with nothing but user space running. */
	probe_reset(&self->probe);
	spin_end = now_ns() + 200 * NS_PER_MS;
	while (now_ns() < spin_end)
		;
	report(&self->probe, &self->over, "user space alone", 0);

	probe_reset(&self->probe);
	ASSERT_EQ(0, map_many(self->fd, tables, self->buf, self->maps));
	report(&self->probe, &self->over, "map, device attached", self->maps);
	/* The shuffled pages are one piece each: only the table has them. */
	ASSERT_EQ(npages, table_pages(self->fd));

	probe_reset(&self->probe);
	ASSERT_EQ(0, map_many(self->fd, plain, self->buf, self->maps));
	report(&self->probe, &self->over, "map, no device", self->maps);

	probe_reset(&self->probe);
	ASSERT_EQ(0, mock_detach(self->fd, dev));
	report(&self->probe, &self->over, "detach, last table", 1);

	probe_reset(&self->probe);
	ASSERT_EQ(0, mock_attach(self->fd, dev, tables));
	report(&self->probe, &self->over, "attach, new table", 1);
	ASSERT_EQ(npages, table_pages(self->fd));
	ASSERT_TRUE(pasid_sees(self->fd, dev, 0, map_iova(1),
			       self->buf, BUF_SIZE));

	probe_reset(&self->probe);
	for (i = 0; i < self->maps; i++)
		ASSERT_EQ(0, copy_fixed(self->fd, copies, plain,
					map_iova(i), BUF_SIZE,
					map_iova(i)));
	report(&self->probe, &self->over, "copy, device attached", self->maps);
	ASSERT_TRUE(pasid_sees(self->fd, dev2, 0, map_iova(2),
			       self->buf, BUF_SIZE));

	probe_reset(&self->probe);
	for (i = 0; i < small_copies; i++)
		ASSERT_EQ(0, copy_fixed(self->fd, small, plain,
					map_iova(0) +
					(i % (BUF_SIZE / self->page)) *
					self->page, self->page,
					IOVA_BASE + i * self->page));
	report(&self->probe, &self->over, "copy of one page", small_copies);

	probe_reset(&self->probe);
	ASSERT_EQ(0, unmap_all(self->fd, small, &out));
	report(&self->probe, &self->over, "unmap all, one-page copies", 1);
	ASSERT_EQ(small_copies * self->page, out);

	probe_reset(&self->probe);
	ASSERT_EQ(0, unmap_all(self->fd, copies, &out));
	report(&self->probe, &self->over, "unmap all, device attached", 1);
	ASSERT_EQ(npages * self->page, out);

	/* Two IOASes with all mapped, one through a device's table. */
	ASSERT_EQ(2 * npages, fd_pages(self->fd));
	other = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, other);
	probe_reset(&self->probe);
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	report(&self->probe, &self->over, "close, all mapped", 1);

	/* What the fd pinned and charged is released. */
	ASSERT_EQ(0, get_pinned(other, &now));
	EXPECT_EQ(self->start.user_locked, now.user_locked);
	EXPECT_EQ(self->start.mm_pinned, now.mm_pinned);
	close(other);
	ASSERT_FALSE(self->over)
		TH_LOG("a call held its CPU for %u ms or more without rescheduling",
		       LATENESS_BOUND_MS);
}

/*
 * @size bytes that show a memfd of @memfd_size bytes, made with
 * @memfd_flags, again and again; NULL when the memfd or a map fails.
 */
static uint8_t *repeated_buf(size_t size, size_t memfd_size,
			     unsigned int memfd_flags)
{
	uint8_t *va;
	size_t off;
	int memfd;

	memfd = syscall(SYS_memfd_create, "ioasid_latency", memfd_flags);
	if (memfd < 0)
		return NULL;
	va = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ftruncate(memfd, memfd_size) || va == MAP_FAILED)
		goto err;
	for (off = 0; off < size; off += memfd_size)
		if (mmap(va + off, memfd_size, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED | MAP_POPULATE, memfd, 0) ==
		    MAP_FAILED)
			goto err;
	close(memfd);
	return va;
err:
	if (va != MAP_FAILED)
		munmap(va, size);
	close(memfd);
	return NULL;
}

/*
 * 16 MiB per map of the buffer (512 MiB in all) of a hugetlbfs memfd of
 * HUGE_MEMFD bytes shown again and again: pieces of 2 MiB or more, which
 * an IOMMU that maps only 4 KiB pages needs hundreds of entries each for.
 */
#define HUGE_MEMFD		(16 * SZ_1M)
#define HUGE_SIZE_PER_MAP	(16 * SZ_1M)

/*
 * Physically contiguous memory mapped through an IOMMU of 4 KiB pages
 * only: however few pieces a batch holds, each of them is hundreds of
 * IOMMU entries to write, and to clear again.
 */
TEST_F_TIMEOUT(latency, map_unmap_huge_pieces, 300)
{
	const uint64_t huge_size = (uint64_t)self->maps * HUGE_SIZE_PER_MAP;
	uint32_t id, dev;
	uint8_t *huge;
	uint64_t out;

	huge = repeated_buf(huge_size, HUGE_MEMFD, MFD_HUGETLB);
	if (!huge)
		SKIP(return, "no %llu MiB of hugetlbfs pages",
		     HUGE_MEMFD / SZ_1M);
	ASSERT_EQ(0, ioasid_alloc(self->fd, &id));
	ASSERT_EQ(0, mock_device_small_pages(self->fd, self->page, &dev));
	ASSERT_EQ(0, mock_attach(self->fd, dev, id));

	probe_reset(&self->probe);
	ASSERT_EQ(0, map_fixed(self->fd, id, huge, huge_size, IOVA_BASE));
	report(&self->probe, &self->over, "map, 2 MiB pieces, 4 KiB IOPTEs",
	       1);
	ASSERT_TRUE(pasid_sees(self->fd, dev, 0, IOVA_BASE + huge_size / 2,
			       huge + huge_size / 2, self->page));

	probe_reset(&self->probe);
	ASSERT_EQ(0, unmap_all(self->fd, id, &out));
	report(&self->probe, &self->over, "unmap, 2 MiB pieces, 4 KiB IOPTEs",
	       1);
	ASSERT_EQ(huge_size, out);
	munmap(huge, huge_size);
	ASSERT_FALSE(self->over)
		TH_LOG("a call held its CPU for %u ms or more without rescheduling",
		       LATENESS_BOUND_MS);
}

/*
 * A process that shares the fd with the test maps KILL_SIZE_PER_MAP bytes
 * per map of the latency tests' buffer, of a memfd shown many times over,
 * and is killed while the kernel pins them.
 */
struct kill_shared {
	int returned;		/* the map returned before the kill */
	int ret;
};

FIXTURE(fatal) {
	int unused;
};

FIXTURE_SETUP(fatal)
{
}

FIXTURE_TEARDOWN(fatal)
{
}

TEST_F_TIMEOUT(fatal, signal_stops_map, 300)
{
	struct kill_shared *shared;
	const uint64_t kill_size = (uint64_t)nr_maps() * KILL_SIZE_PER_MAP;
	uint64_t start, full, killed, out;
	struct pinned before, after;
	int ready[2], status, fd;
	uint32_t id, dev;
	uint8_t *big;
	pid_t pid;
	char c;

	fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	big = repeated_buf(kill_size, BUF_SIZE, 0);
	ASSERT_NE(NULL, big);
	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, shared);
	ASSERT_EQ(0, ioasid_alloc(fd, &id));
	ASSERT_EQ(0, mock_device(fd, &dev));
	ASSERT_EQ(0, mock_attach(fd, dev, id));

	/* How long the whole map takes. */
	start = now_ns();
	ASSERT_EQ(0, map_fixed(fd, id, big, kill_size, IOVA_BASE));
	full = now_ns() - start;
	ASSERT_EQ(0, unmap_all(fd, id, &out));
	ASSERT_EQ(kill_size, out);
	ASSERT_EQ(0, get_pinned(fd, &before));

	ASSERT_EQ(0, pipe(ready));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* Fault the pages in: pinning them is all the map has to do. */
		if (madvise(big, kill_size, MADV_POPULATE_WRITE))
			_exit(1);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		shared->ret = map_fixed(fd, id, big, kill_size, IOVA_BASE);
		__atomic_store_n(&shared->returned, 1, __ATOMIC_RELEASE);
		pause();
		_exit(0);
	}
	ASSERT_EQ(1, read(ready[0], &c, 1));
	usleep(full / 10 / 1000);
	/* The map is under way: its pages are counted, it has not returned. */
	ASSERT_EQ(before.fd_pages + kill_size / getpagesize(), fd_pages(fd));
	ASSERT_EQ(0, __atomic_load_n(&shared->returned, __ATOMIC_ACQUIRE))
		TH_LOG("the map ended before the kill: %s",
		       strerror(shared->ret));
	start = now_ns();
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	killed = now_ns() - start;
	ksft_print_msg("a map of %llu MiB takes %.1f ms, killed %.1f ms into it\n",
		       kill_size / SZ_1M, full / (double)NS_PER_MS,
		       full / 10 / (double)NS_PER_MS);
	ksft_print_msg("the killed process was gone %.1f ms later\n",
		       killed / (double)NS_PER_MS);
	ASSERT_TRUE(WIFSIGNALED(status));

	/*
	 * Nothing was mapped, pinned or charged by the killed map.  A map
	 * that had ended would still be there, as the fd outlives the
	 * process, so it stopped early.  How long the process took to go
	 * is only printed: without KASAN, tearing its page tables
	 * down takes about as long as the map.
	 */
	ASSERT_EQ(0, get_pinned(fd, &after));
	EXPECT_EQ(before.fd_pages, after.fd_pages);
	EXPECT_EQ(before.user_locked, after.user_locked);
	ASSERT_EQ(0, unmap_all(fd, id, &out));
	EXPECT_EQ(0ULL, out);
	close(fd);
	munmap(shared, sizeof(*shared));
	munmap(big, kill_size);
}

TEST_HARNESS_MAIN
