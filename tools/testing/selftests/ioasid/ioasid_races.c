// SPDX-License-Identifier: GPL-2.0-only
/*
 * Object lifetimes under concurrency: threads allocate, look up, restrict
 * and destroy IOASIDs by ids they share, while another opens and closes
 * file descriptors full of objects.  Every call must end in an errno the
 * uAPI documents, and the table must be consistent afterwards.  Bounded
 * by a count and a time limit.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/ioasid.h>

#include "../kselftest_harness.h"

#define THREADS 4
#define ITERATIONS 20000
#define SECONDS 3
#define ID_SPACE 32

struct shared {
	int fd;
	long page;
	time_t deadline;
	int bad_errno;
	int bad_cmd;
	unsigned long busy;	/* destroys refused because of a lookup */
	unsigned long calls;
};

static int call(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? errno : 0;
}

static void note_bad(struct shared *s, int cmd, int err)
{
	__atomic_store_n(&s->bad_cmd, cmd, __ATOMIC_RELAXED);
	__atomic_store_n(&s->bad_errno, err, __ATOMIC_RELAXED);
}

static void one_step(struct shared *s, unsigned int *seed)
{
	uint32_t id = 1 + rand_r(seed) % ID_SPACE;
	struct ioasid_iova_range range = {
		.start = (rand_r(seed) % 64) * s->page,
	};
	int ret;

	range.last = range.start + s->page - 1;
	switch (rand_r(seed) % 4) {
	case 0: {
		struct ioasid_alloc cmd = { .size = sizeof(cmd) };

		ret = call(s->fd, IOASID_ALLOC, &cmd);
		if (ret)
			note_bad(s, IOASID_CMD_ALLOC, ret);
		break;
	}
	case 1: {
		struct ioasid_destroy cmd = { .size = sizeof(cmd), .id = id };

		ret = call(s->fd, IOASID_DESTROY, &cmd);
		if (ret == EBUSY)
			__atomic_add_fetch(&s->busy, 1, __ATOMIC_RELAXED);
		else if (ret && ret != ENOENT)
			note_bad(s, IOASID_CMD_DESTROY, ret);
		break;
	}
	case 2: {
		struct ioasid_iova_range out[2];
		struct ioasid_iova_ranges cmd = {
			.size = sizeof(cmd), .ioasid = id, .num_ranges = 2,
			.ranges = (uintptr_t)out,
		};

		ret = call(s->fd, IOASID_IOVA_RANGES, &cmd);
		if (ret && ret != ENOENT && ret != EMSGSIZE)
			note_bad(s, IOASID_CMD_IOVA_RANGES, ret);
		break;
	}
	default: {
		struct ioasid_set_allowed_ranges cmd = {
			.size = sizeof(cmd), .ioasid = id, .num_ranges = 1,
			.ranges = (uintptr_t)&range,
		};

		ret = call(s->fd, IOASID_SET_ALLOWED_RANGES, &cmd);
		if (ret && ret != ENOENT)
			note_bad(s, IOASID_CMD_SET_ALLOWED_RANGES, ret);
		break;
	}
	}
	__atomic_add_fetch(&s->calls, 1, __ATOMIC_RELAXED);
}

static void *worker(void *arg)
{
	struct shared *s = arg;
	unsigned int seed = (unsigned int)(uintptr_t)&seed ^ time(NULL);
	int i;

	for (i = 0; i < ITERATIONS && time(NULL) < s->deadline; i++)
		one_step(s, &seed);
	return NULL;
}

/* Opens fds, fills them and closes them while the workers run. */
static void *closer(void *arg)
{
	struct shared *s = arg;
	int i;

	while (time(NULL) < s->deadline) {
		int fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
		struct ioasid_alloc cmd = { .size = sizeof(cmd) };

		if (fd < 0) {
			note_bad(s, -1, errno);
			break;
		}
		for (i = 0; i < 16; i++)
			if (call(fd, IOASID_ALLOC, &cmd))
				note_bad(s, IOASID_CMD_ALLOC, errno);
		close(fd);
	}
	return NULL;
}

TEST(alloc_lookup_destroy_close)
{
	struct shared s = { .page = sysconf(_SC_PAGESIZE) };
	pthread_t threads[THREADS + 1];
	struct ioasid_alloc alloc = { .size = sizeof(alloc) };
	uint32_t id, left = 0;
	int i;

	s.fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, s.fd);
	s.deadline = time(NULL) + SECONDS;
	for (i = 0; i < THREADS; i++)
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, worker, &s));
	ASSERT_EQ(0, pthread_create(&threads[THREADS], NULL, closer, &s));
	for (i = 0; i <= THREADS; i++)
		pthread_join(threads[i], NULL);

	EXPECT_EQ(0, s.bad_errno)
		TH_LOG("ioctl %d failed with %s", s.bad_cmd, strerror(s.bad_errno));
	TH_LOG("%lu calls, %lu destroys refused while in use", s.calls, s.busy);

	/* Idle again: every object left can be destroyed exactly once. */
	for (id = 1; id <= ID_SPACE + THREADS * ITERATIONS; id++) {
		struct ioasid_destroy cmd = { .size = sizeof(cmd), .id = id };
		int ret = call(s.fd, IOASID_DESTROY, &cmd);

		if (!ret)
			left++;
		else
			ASSERT_EQ(ENOENT, ret) TH_LOG("id %u", id);
		ASSERT_EQ(ENOENT, call(s.fd, IOASID_DESTROY, &cmd));
	}
	TH_LOG("%u objects were left", left);
	EXPECT_EQ(0, call(s.fd, IOASID_ALLOC, &alloc));
	close(s.fd);
}

TEST_HARNESS_MAIN
