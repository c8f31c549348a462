// SPDX-License-Identifier: GPL-2.0-only
/*
 * What a /dev/ioasid context shows of itself: the ioasid- lines of its
 * fdinfo, the owner and mappings files of its debugfs directory
 * (/sys/kernel/debug/ioasid/<context>/) and the ioasid tracepoints.  Each
 * test makes the context hold known IOASIDs, mappings, copies and mock
 * devices, and checks that every view says exactly that, number by
 * number: the fdinfo through the strict parser of ioasid_views.h, which
 * refuses any key, token or line order the interface does not define,
 * the mappings file line by line against the text it must be.
 *
 * The names of mock devices come from /sys/bus/ioasid_mock/devices: the
 * entry that appears when one is created.  The debugfs tests need root
 * and skip without the debugfs view; the tracepoint test needs tracefs
 * with events/ioasid, and traces into an instance of its own when it can,
 * so that it leaves the global trace as it found it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/ioasid.h>
#include "edu_vfio.h"
#include "ioasid_utils.h"
#include "ioasid_views.h"
#include "../kselftest_harness.h"

#define IOVA		IOASID_MOCK_APERTURE_START
#define NOBODY		65534
#define MAX_MOCKS	64
#define MANY		20000	/* mappings of the chunked read test */
#define PARAMS		"/sys/module/ioasid/parameters/"
#define THP_ENABLED	"/sys/kernel/mm/transparent_hugepage/enabled"
#define ULL(x)		((unsigned long long)(x))

/* Reads and parses the fdinfo of @fd, which nothing changes meanwhile. */
static void read_fdinfo(struct __test_metadata *_metadata, int fd,
			struct view_fdinfo *fi)
{
	int ret = fdinfo_read(getpid(), fd, fi);

	ASSERT_EQ(0, ret) TH_LOG("fdinfo of fd %d: %s", fd, fi->error);
	ret = fdinfo_check(fi);
	ASSERT_EQ(0, ret) TH_LOG("fdinfo of fd %d: %s", fd, fi->error);
}

static uint32_t context_of(struct __test_metadata *_metadata, int fd)
{
	struct view_fdinfo fi = {};
	uint32_t ctx;

	read_fdinfo(_metadata, fd, &fi);
	ctx = fi.context;
	fdinfo_free(&fi);
	return ctx;
}

/* What the ioasid-ioas line of an IOASID must say. */
struct want_ioas {
	uint32_t id;
	uint64_t mappings;
	uint64_t mapped;	/* bytes */
	uint64_t pinned;	/* bytes */
	uint64_t tables;
	uint64_t accesses;
};

/* The line of @w->id says @w, and the alignment IOVA_RANGES reports. */
static void expect_ioas(struct __test_metadata *_metadata, int fd,
			const struct view_fdinfo *fi,
			const struct want_ioas *w)
{
	const struct view_ioas *io = fdinfo_ioas(fi, w->id);
	struct ioasid_iova_range ranges[16];
	uint64_t align = 0;
	uint32_t n = 16;

	ASSERT_NE(NULL, io) TH_LOG("no ioasid-ioas line for IOASID %u",
				   w->id);
	ASSERT_EQ(0, get_ranges(fd, w->id, ranges, &n, &align));
	EXPECT_EQ(w->mappings, io->mappings) TH_LOG("IOASID %u", w->id);
	EXPECT_EQ(w->mapped, io->mapped_bytes) TH_LOG("IOASID %u", w->id);
	EXPECT_EQ(w->pinned, io->pinned_bytes) TH_LOG("IOASID %u", w->id);
	EXPECT_EQ(align, io->iova_alignment) TH_LOG("IOASID %u", w->id);
	EXPECT_EQ(w->tables, io->tables) TH_LOG("IOASID %u", w->id);
	EXPECT_EQ(w->accesses, io->accesses) TH_LOG("IOASID %u", w->id);
}

/*
 * The fd pins @bytes, as charged: what its ioasid-pinned-bytes line says
 * and, with IOASID_TEST, what the kernel's counter of its pins says.
 */
static void expect_pinned(struct __test_metadata *_metadata, int fd,
			  const struct view_fdinfo *fi, uint64_t bytes)
{
	uint64_t pages = fd_pages(fd);

	EXPECT_EQ(bytes, fi->pinned_bytes);
	if (pages != UINT64_MAX)
		EXPECT_EQ(pages * sysconf(_SC_PAGESIZE), fi->pinned_bytes);
}

/* The names in MOCK_DEVICES, at most @max, or -1. */
static int mock_names(char (*names)[VIEW_NAME_LEN], int max)
{
	DIR *d = opendir(MOCK_DEVICES);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) && n < max)
		if (e->d_name[0] != '.')
			snprintf(names[n++], VIEW_NAME_LEN, "%.*s",
				 VIEW_NAME_LEN - 1, e->d_name);
	closedir(d);
	return n;
}

/*
 * Creates a mock device as @cmd says (NULL: the defaults), and finds its
 * name: the entry it added to MOCK_DEVICES.
 */
static void new_mock(struct __test_metadata *_metadata, int fd,
		     struct ioasid_test *cmd, uint32_t *id, char *name)
{
	static char before[MAX_MOCKS][VIEW_NAME_LEN];
	static char after[MAX_MOCKS][VIEW_NAME_LEN];
	struct ioasid_test defaults = {};
	int nb, na, i, j;

	nb = mock_names(before, MAX_MOCKS);
	ASSERT_LE(0, nb);
	ASSERT_GT(MAX_MOCKS, nb);
	ASSERT_EQ(0, do_mock_device(fd, cmd ?: &defaults, id));
	na = mock_names(after, MAX_MOCKS);
	ASSERT_EQ(nb + 1, na);
	for (i = 0; i < na; i++) {
		for (j = 0; j < nb && strcmp(after[i], before[j]); j++)
			;
		if (j == nb)
			break;
	}
	ASSERT_GT(na, i);
	ASSERT_EQ(0, strncmp(after[i], "ioasid_mock", 11))
		TH_LOG("the new mock device is %s", after[i]);
	snprintf(name, VIEW_NAME_LEN, "%s", after[i]);
}

/* The device line of @name, which is not attached. */
static void expect_detached(struct __test_metadata *_metadata,
			    const struct view_fdinfo *fi, const char *name,
			    uint32_t dma_owner)
{
	const struct view_device *d = fdinfo_device(fi, name);

	ASSERT_NE(NULL, d) TH_LOG("no ioasid-device line for %s", name);
	EXPECT_EQ(dma_owner, d->dma_owner);
	EXPECT_FALSE(d->attached);
}

/*
 * The device line of @name says its requester ID is attached to @ioas;
 * returns the table it names, which the fdinfo lists under @ioas.
 */
static uint32_t expect_attached(struct __test_metadata *_metadata,
				const struct view_fdinfo *fi,
				const char *name, uint32_t ioas)
{
	const struct view_device *d = fdinfo_device(fi, name);
	const struct view_table *t;

	ASSERT_NE(NULL, d) TH_LOG("no ioasid-device line for %s", name);
	EXPECT_EQ(1U, d->dma_owner);
	EXPECT_TRUE(d->attached) TH_LOG("%s", name);
	EXPECT_EQ(ioas, d->ioas) TH_LOG("%s", name);
	t = fdinfo_table(fi, d->table);
	EXPECT_NE(NULL, t) TH_LOG("%s names table %u", name, d->table);
	if (t)
		EXPECT_EQ(ioas, t->ioas);
	return d->table;
}

/* The devices count of table @id, or UINT64_MAX without its line. */
static uint64_t table_devices(const struct view_fdinfo *fi, uint32_t id)
{
	const struct view_table *t = fdinfo_table(fi, id);

	return t ? t->devices : UINT64_MAX;
}

static bool read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	bool ok;

	if (!f)
		return false;
	ok = fgets(buf, size, f);
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = '\0';
	return ok;
}

static int write_file(const char *path, const char *val)
{
	ssize_t len = strlen(val);
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return errno;
	if (write(fd, val, len) != len)
		ret = errno ?: EIO;
	close(fd);
	return ret;
}

/* Sets ioasid.allow_incoherent_dma; returns 0 or an errno. */
static int allow_incoherent(bool allow)
{
	return write_file(PARAMS "allow_incoherent_dma", allow ? "Y" : "N");
}

FIXTURE(observe) {
	int fd;
	uint64_t page;
	bool mock;	/* IOASID_TEST is there */
};

FIXTURE_SETUP(observe)
{
	self->page = sysconf(_SC_PAGESIZE);
	self->fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	if (self->fd < 0)
		SKIP(return, "no /dev/ioasid: %s", strerror(errno));
	self->mock = fd_pages(self->fd) != UINT64_MAX;
}

FIXTURE_TEARDOWN(observe)
{
	if (self->fd >= 0)
		close(self->fd);
}

#define NO_MOCK		"no IOASID_TEST: CONFIG_DEV_IOASID_TEST is off"

/*
 * A fresh context: the header lines with nothing pinned, and no IOASID or
 * device.  Each context has a number of its own; a dup shares it.
 */
TEST_F(observe, fresh)
{
	struct view_fdinfo fi = {};
	uint32_t other_ctx;
	int other, dup_fd;

	read_fdinfo(_metadata, self->fd, &fi);
	EXPECT_EQ(VIEW_ACCOUNT_USER, (int)fi.accounting);
	expect_pinned(_metadata, self->fd, &fi, 0);
	EXPECT_EQ(0U, fi.nr_ioas);
	EXPECT_EQ(0U, fi.nr_tables);
	EXPECT_EQ(0U, fi.nr_devices);
	EXPECT_EQ(0U, fi.nr_pasids);

	other = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, other);
	other_ctx = context_of(_metadata, other);
	EXPECT_NE(fi.context, other_ctx);
	dup_fd = dup(self->fd);
	ASSERT_LE(0, dup_fd);
	EXPECT_EQ(fi.context, context_of(_metadata, dup_fd));
	close(dup_fd);
	close(other);
	/* The first fd is still itself. */
	EXPECT_EQ(fi.context, context_of(_metadata, self->fd));
	fdinfo_free(&fi);
}

/*
 * Mappings of known sizes in two IOASIDs, then unmaps, copies to the other
 * IOASID and within one, and the destruction of an IOASID.
 */
TEST_F(observe, mappings)
{
	const uint64_t p = self->page;
	uint8_t *buf = alloc_buf(40 * p, 0x5a, true);
	struct view_fdinfo fi = {};
	struct want_ioas a = {}, b = {};
	uint64_t out;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, ioasid_alloc(self->fd, &a.id));
	ASSERT_EQ(0, ioasid_alloc(self->fd, &b.id));
	read_fdinfo(_metadata, self->fd, &fi);
	ASSERT_EQ(2U, fi.nr_ioas);
	expect_ioas(_metadata, self->fd, &fi, &a);
	expect_ioas(_metadata, self->fd, &fi, &b);
	/* In id order */
	EXPECT_EQ(a.id < b.id ? a.id : b.id, fi.ioas[0].id);

	/* a: 1, 4 and 16 pages; b: 2 and 8 pages, each of its own memory */
	ASSERT_EQ(0, map_fixed(self->fd, a.id, buf, p, IOVA));
	ASSERT_EQ(0, map_fixed(self->fd, a.id, buf + p, 4 * p, IOVA + SZ_1M));
	ASSERT_EQ(0, map_fixed(self->fd, a.id, buf + 5 * p, 16 * p,
			       IOVA + 2 * SZ_1M));
	ASSERT_EQ(0, map_fixed(self->fd, b.id, buf + 21 * p, 2 * p, IOVA));
	ASSERT_EQ(0, map_fixed(self->fd, b.id, buf + 23 * p, 8 * p,
			       IOVA + SZ_1M));
	a.mappings = 3;
	a.mapped = 21 * p;
	a.pinned = 21 * p;
	b.mappings = 2;
	b.mapped = 10 * p;
	b.pinned = 10 * p;
	read_fdinfo(_metadata, self->fd, &fi);
	expect_ioas(_metadata, self->fd, &fi, &a);
	expect_ioas(_metadata, self->fd, &fi, &b);
	expect_pinned(_metadata, self->fd, &fi, 31 * p);
	EXPECT_EQ(fi.ioas[0].pinned_bytes + fi.ioas[1].pinned_bytes,
		  fi.pinned_bytes);

	/* The 4 pages go. */
	ASSERT_EQ(0, unmap_range(self->fd, a.id, IOVA + SZ_1M, 4 * p, &out));
	ASSERT_EQ(4 * p, out);
	a.mappings = 2;
	a.mapped = 17 * p;
	a.pinned = 17 * p;
	read_fdinfo(_metadata, self->fd, &fi);
	expect_ioas(_metadata, self->fd, &fi, &a);
	expect_ioas(_metadata, self->fd, &fi, &b);
	expect_pinned(_metadata, self->fd, &fi, 27 * p);

	/*
	 * 4 pages from the middle of a's 16 into b: mapped in b, which now
	 * holds all of the 16 pinned, and nothing pinned again.
	 */
	ASSERT_EQ(0, copy_fixed(self->fd, b.id, a.id, IOVA + 2 * SZ_1M + 4 * p,
				4 * p, IOVA + 2 * SZ_1M));
	b.mappings = 3;
	b.mapped = 14 * p;
	b.pinned = 26 * p;
	read_fdinfo(_metadata, self->fd, &fi);
	expect_ioas(_metadata, self->fd, &fi, &a);
	expect_ioas(_metadata, self->fd, &fi, &b);
	expect_pinned(_metadata, self->fd, &fi, 27 * p);

	/* A copy within a counts once. */
	ASSERT_EQ(0, copy_fixed(self->fd, a.id, a.id, IOVA, p,
				IOVA + 3 * SZ_1M));
	a.mappings = 3;
	a.mapped = 18 * p;
	read_fdinfo(_metadata, self->fd, &fi);
	expect_ioas(_metadata, self->fd, &fi, &a);
	expect_ioas(_metadata, self->fd, &fi, &b);
	expect_pinned(_metadata, self->fd, &fi, 27 * p);

	/* b goes, and its line with it; its own 10 pages are unpinned. */
	ASSERT_EQ(0, ioasid_destroy(self->fd, b.id));
	read_fdinfo(_metadata, self->fd, &fi);
	ASSERT_EQ(1U, fi.nr_ioas);
	EXPECT_EQ(NULL, fdinfo_ioas(&fi, b.id));
	expect_ioas(_metadata, self->fd, &fi, &a);
	expect_pinned(_metadata, self->fd, &fi, 17 * p);

	ASSERT_EQ(0, unmap_all(self->fd, a.id, &out));
	EXPECT_EQ(18 * p, out);
	a.mappings = 0;
	a.mapped = 0;
	a.pinned = 0;
	read_fdinfo(_metadata, self->fd, &fi);
	expect_ioas(_metadata, self->fd, &fi, &a);
	expect_pinned(_metadata, self->fd, &fi, 0);
	fdinfo_free(&fi);
	munmap(buf, 40 * p);
}

/* The accounting the option selects, and what is pinned under it. */
TEST_F(observe, accounting)
{
	const uint64_t p = self->page;
	uint8_t *buf = alloc_buf(2 * p, 0x5a, true);
	struct view_fdinfo fi = {};
	uint32_t id;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, set_accounting(self->fd, IOASID_ACCOUNT_PROCESS));
	read_fdinfo(_metadata, self->fd, &fi);
	EXPECT_EQ(VIEW_ACCOUNT_PROCESS, (int)fi.accounting);
	expect_pinned(_metadata, self->fd, &fi, 0);

	ASSERT_EQ(0, ioasid_alloc(self->fd, &id));
	ASSERT_EQ(0, map_fixed(self->fd, id, buf, 2 * p, IOVA));
	read_fdinfo(_metadata, self->fd, &fi);
	EXPECT_EQ(VIEW_ACCOUNT_PROCESS, (int)fi.accounting);
	expect_pinned(_metadata, self->fd, &fi, 2 * p);

	ASSERT_EQ(0, unmap_all(self->fd, id, NULL));
	ASSERT_EQ(0, set_accounting(self->fd, IOASID_ACCOUNT_USER));
	read_fdinfo(_metadata, self->fd, &fi);
	EXPECT_EQ(VIEW_ACCOUNT_USER, (int)fi.accounting);
	expect_pinned(_metadata, self->fd, &fi, 0);
	fdinfo_free(&fi);
	munmap(buf, 2 * p);
}

/* An emulated device is an access of its IOASID, through no table. */
TEST_F(observe, accesses)
{
	struct view_fdinfo fi = {};
	struct want_ioas a = {}, b = {};
	uint32_t acc;

	if (!self->mock)
		SKIP(return, NO_MOCK);
	ASSERT_EQ(0, ioasid_alloc(self->fd, &a.id));
	ASSERT_EQ(0, ioasid_alloc(self->fd, &b.id));
	ASSERT_EQ(0, access_create(self->fd, 0, &acc));
	ASSERT_EQ(0, access_attach(self->fd, acc, a.id));
	a.accesses = 1;
	read_fdinfo(_metadata, self->fd, &fi);
	expect_ioas(_metadata, self->fd, &fi, &a);
	expect_ioas(_metadata, self->fd, &fi, &b);
	EXPECT_EQ(0U, fi.nr_tables);
	/* Emulated devices are no ioasid-device. */
	EXPECT_EQ(0U, fi.nr_devices);

	ASSERT_EQ(0, access_attach(self->fd, acc, b.id));
	a.accesses = 0;
	b.accesses = 1;
	read_fdinfo(_metadata, self->fd, &fi);
	expect_ioas(_metadata, self->fd, &fi, &a);
	expect_ioas(_metadata, self->fd, &fi, &b);

	ASSERT_EQ(0, access_detach(self->fd, acc));
	b.accesses = 0;
	read_fdinfo(_metadata, self->fd, &fi);
	expect_ioas(_metadata, self->fd, &fi, &b);
	ASSERT_EQ(0, ioasid_destroy(self->fd, acc));
	fdinfo_free(&fi);
}

/*
 * Mock devices attached by requester ID: compatible ones share a table,
 * one whose IOMMU has other page sizes gets its own, a move takes a
 * device to a table of the other IOASID, a detach leaves the device bound
 * with nothing attached.  Device lines come in bind order.
 */
TEST_F(observe, devices)
{
	const uint64_t p = self->page;
	uint8_t *buf = alloc_buf(4 * p, 0x5a, true);
	char na[VIEW_NAME_LEN], nb[VIEW_NAME_LEN], nc[VIEW_NAME_LEN];
	struct ioasid_test small = {};
	struct view_fdinfo fi = {};
	struct want_ioas a = {}, b = {};
	uint32_t da, db, dc, t, tc, tm;
	struct iopte pte;

	if (!self->mock)
		SKIP(return, NO_MOCK);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, ioasid_alloc(self->fd, &a.id));
	ASSERT_EQ(0, ioasid_alloc(self->fd, &b.id));
	ASSERT_EQ(0, map_fixed(self->fd, a.id, buf, 4 * p, IOVA));
	a.mappings = 1;
	a.mapped = 4 * p;
	a.pinned = 4 * p;

	new_mock(_metadata, self->fd, NULL, &da, na);
	new_mock(_metadata, self->fd, NULL, &db, nb);
	small.mock_device.pgsize_bitmap = p;
	new_mock(_metadata, self->fd, &small, &dc, nc);
	read_fdinfo(_metadata, self->fd, &fi);
	ASSERT_EQ(3U, fi.nr_devices);
	EXPECT_STREQ(na, fi.devices[0].name);
	EXPECT_STREQ(nb, fi.devices[1].name);
	EXPECT_STREQ(nc, fi.devices[2].name);
	expect_detached(_metadata, &fi, na, 1);
	expect_detached(_metadata, &fi, nb, 1);
	expect_detached(_metadata, &fi, nc, 1);
	expect_ioas(_metadata, self->fd, &fi, &a);
	EXPECT_EQ(0U, fi.nr_tables);

	/* One device: one table, coherent as its IOPTEs are. */
	ASSERT_EQ(0, mock_attach(self->fd, da, a.id));
	a.tables = 1;
	read_fdinfo(_metadata, self->fd, &fi);
	t = expect_attached(_metadata, &fi, na, a.id);
	EXPECT_EQ(1ULL, table_devices(&fi, t));
	expect_ioas(_metadata, self->fd, &fi, &a);
	expect_detached(_metadata, &fi, nb, 1);
	ASSERT_EQ(0, read_iopte(self->fd, da, 0, IOVA, &pte));
	ASSERT_NE(NULL, fdinfo_table(&fi, t));
	EXPECT_EQ((uint32_t)!!(pte.prot & IOPTE_CACHE), fdinfo_table(&fi, t)->coherent);
	EXPECT_EQ(1U, fdinfo_table(&fi, t)->coherent);

	/* A compatible device joins it; another needs a table of its own. */
	ASSERT_EQ(0, mock_attach(self->fd, db, a.id));
	read_fdinfo(_metadata, self->fd, &fi);
	EXPECT_EQ(t, expect_attached(_metadata, &fi, nb, a.id));
	EXPECT_EQ(2ULL, table_devices(&fi, t));
	expect_ioas(_metadata, self->fd, &fi, &a);
	ASSERT_EQ(0, mock_attach(self->fd, dc, a.id));
	a.tables = 2;
	read_fdinfo(_metadata, self->fd, &fi);
	tc = expect_attached(_metadata, &fi, nc, a.id);
	EXPECT_NE(t, tc);
	EXPECT_EQ(2ULL, table_devices(&fi, t));
	EXPECT_EQ(1ULL, table_devices(&fi, tc));
	expect_ioas(_metadata, self->fd, &fi, &a);
	expect_ioas(_metadata, self->fd, &fi, &b);

	/* A move to b, attached through a table of b's. */
	ASSERT_EQ(0, mock_attach(self->fd, da, b.id));
	b.tables = 1;
	read_fdinfo(_metadata, self->fd, &fi);
	tm = expect_attached(_metadata, &fi, na, b.id);
	EXPECT_NE(t, tm);
	EXPECT_NE(tc, tm);
	EXPECT_EQ(1ULL, table_devices(&fi, t));
	EXPECT_EQ(1ULL, table_devices(&fi, tm));
	expect_ioas(_metadata, self->fd, &fi, &a);
	expect_ioas(_metadata, self->fd, &fi, &b);

	/* Detached, the devices stay bound, and the tables go. */
	ASSERT_EQ(0, mock_detach(self->fd, da));
	ASSERT_EQ(0, mock_detach(self->fd, db));
	ASSERT_EQ(0, mock_detach(self->fd, dc));
	a.tables = 0;
	b.tables = 0;
	read_fdinfo(_metadata, self->fd, &fi);
	expect_detached(_metadata, &fi, na, 1);
	expect_detached(_metadata, &fi, nb, 1);
	expect_detached(_metadata, &fi, nc, 1);
	expect_ioas(_metadata, self->fd, &fi, &a);
	expect_ioas(_metadata, self->fd, &fi, &b);
	EXPECT_EQ(0U, fi.nr_tables);

	/* Unbound, a device has no line. */
	ASSERT_EQ(0, ioasid_destroy(self->fd, db));
	read_fdinfo(_metadata, self->fd, &fi);
	EXPECT_EQ(2U, fi.nr_devices);
	EXPECT_EQ(NULL, fdinfo_device(&fi, nb));
	EXPECT_STREQ(na, fi.devices[0].name);
	EXPECT_STREQ(nc, fi.devices[1].name);
	fdinfo_free(&fi);
	munmap(buf, 4 * p);
}

/*
 * A device whose IOMMU cannot make DMA coherent gets a table of its own,
 * mapped without IOMMU_CACHE: coherent=0.
 */
TEST_F(observe, incoherent_table)
{
	const uint64_t p = self->page;
	uint8_t *buf = alloc_buf(p, 0x5a, true);
	struct ioasid_test cmd = {
		.mock_device.flags = IOASID_MOCK_INCOHERENT,
	};
	char ni[VIEW_NAME_LEN], nc[VIEW_NAME_LEN];
	struct view_fdinfo fi = {};
	uint32_t id, di, dc, ti, tc;
	struct iopte pte;
	int ret;

	if (!self->mock)
		SKIP(return, NO_MOCK);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, ioasid_alloc(self->fd, &id));
	ASSERT_EQ(0, map_fixed(self->fd, id, buf, p, IOVA));
	ASSERT_EQ(0, allow_incoherent(true));
	new_mock(_metadata, self->fd, &cmd, &di, ni);
	ret = allow_incoherent(false);
	ASSERT_EQ(0, ret);
	new_mock(_metadata, self->fd, NULL, &dc, nc);
	ASSERT_EQ(0, mock_attach(self->fd, di, id));
	ASSERT_EQ(0, mock_attach(self->fd, dc, id));

	read_fdinfo(_metadata, self->fd, &fi);
	ti = expect_attached(_metadata, &fi, ni, id);
	tc = expect_attached(_metadata, &fi, nc, id);
	EXPECT_NE(ti, tc);
	ASSERT_NE(NULL, fdinfo_table(&fi, ti));
	ASSERT_NE(NULL, fdinfo_table(&fi, tc));
	EXPECT_EQ(0U, fdinfo_table(&fi, ti)->coherent);
	EXPECT_EQ(1U, fdinfo_table(&fi, tc)->coherent);
	ASSERT_EQ(0, read_iopte(self->fd, di, 0, IOVA, &pte));
	EXPECT_EQ((uint32_t)!!(pte.prot & IOPTE_CACHE), fdinfo_table(&fi, ti)->coherent);
	ASSERT_EQ(0, read_iopte(self->fd, dc, 0, IOVA, &pte));
	EXPECT_EQ((uint32_t)!!(pte.prot & IOPTE_CACHE), fdinfo_table(&fi, tc)->coherent);
	ASSERT_NE(NULL, fdinfo_ioas(&fi, id));
	EXPECT_EQ(2ULL, fdinfo_ioas(&fi, id)->tables);
	fdinfo_free(&fi);
	munmap(buf, p);
}

/*
 * PASIDs: of a device this fd owns, whose requester ID is attached too,
 * and of a host-owned device whose driver lends the fd its PASIDs only
 * (dma-owner=0).  The PASID lines follow their device, in PASID order.
 */
TEST_F(observe, pasids)
{
	const uint64_t p = self->page;
	uint8_t *buf = alloc_buf(p, 0x5a, true);
	struct ioasid_test owned = { .mock_device.pasid_bits = 4 };
	struct ioasid_test lent = {
		.mock_device.pasid_bits = 4,
		.mock_device.flags = IOASID_MOCK_HOST_OWNED,
	};
	char no[VIEW_NAME_LEN], nl[VIEW_NAME_LEN];
	const struct view_device *d;
	const struct view_pasid *pa;
	struct view_fdinfo fi = {};
	uint32_t a, b, dout, dlent;

	if (!self->mock)
		SKIP(return, NO_MOCK);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, ioasid_alloc(self->fd, &a));
	ASSERT_EQ(0, ioasid_alloc(self->fd, &b));
	ASSERT_EQ(0, map_fixed(self->fd, a, buf, p, IOVA));
	new_mock(_metadata, self->fd, &owned, &dout, no);
	new_mock(_metadata, self->fd, &lent, &dlent, nl);

	read_fdinfo(_metadata, self->fd, &fi);
	expect_detached(_metadata, &fi, no, 1);
	expect_detached(_metadata, &fi, nl, 0);
	EXPECT_EQ(0U, fi.nr_pasids);

	/* PASID 3 before PASID 1: the lines still come in PASID order. */
	ASSERT_EQ(0, mock_attach(self->fd, dout, a));
	ASSERT_EQ(0, mock_attach_pasid(self->fd, dout, 3, a));
	ASSERT_EQ(0, mock_attach_pasid(self->fd, dout, 1, b));
	ASSERT_EQ(0, mock_attach_pasid(self->fd, dlent, 2, b));
	read_fdinfo(_metadata, self->fd, &fi);
	expect_attached(_metadata, &fi, no, a);
	d = fdinfo_device(&fi, no);
	ASSERT_NE(NULL, d);
	ASSERT_EQ(2U, d->nr_pasids);
	EXPECT_EQ(1U, fi.pasids[d->first_pasid].pasid);
	EXPECT_EQ(3U, fi.pasids[d->first_pasid + 1].pasid);
	pa = fdinfo_pasid(&fi, no, 1);
	ASSERT_NE(NULL, pa);
	EXPECT_EQ(b, pa->ioas);
	pa = fdinfo_pasid(&fi, no, 3);
	ASSERT_NE(NULL, pa);
	EXPECT_EQ(a, pa->ioas);
	d = fdinfo_device(&fi, nl);
	ASSERT_NE(NULL, d);
	EXPECT_EQ(0U, d->dma_owner);
	EXPECT_FALSE(d->attached);
	ASSERT_EQ(1U, d->nr_pasids);
	pa = fdinfo_pasid(&fi, nl, 2);
	ASSERT_NE(NULL, pa);
	EXPECT_EQ(b, pa->ioas);
	/* fdinfo_check() found each table listed under the PASID's IOASID. */
	ASSERT_NE(NULL, fdinfo_ioas(&fi, b));
	EXPECT_LE(1ULL, fdinfo_ioas(&fi, b)->tables);

	/* A move of PASID 1, then its detach. */
	ASSERT_EQ(0, mock_attach_pasid(self->fd, dout, 1, a));
	read_fdinfo(_metadata, self->fd, &fi);
	pa = fdinfo_pasid(&fi, no, 1);
	ASSERT_NE(NULL, pa);
	EXPECT_EQ(a, pa->ioas);
	ASSERT_EQ(0, mock_detach_pasid(self->fd, dout, 1));
	ASSERT_EQ(0, mock_detach_pasid(self->fd, dlent, 2));
	read_fdinfo(_metadata, self->fd, &fi);
	EXPECT_EQ(1U, fi.nr_pasids);
	EXPECT_EQ(NULL, fdinfo_pasid(&fi, no, 1));
	EXPECT_NE(NULL, fdinfo_pasid(&fi, no, 3));
	EXPECT_EQ(NULL, fdinfo_pasid(&fi, nl, 2));
	ASSERT_NE(NULL, fdinfo_ioas(&fi, b));
	EXPECT_EQ(0ULL, fdinfo_ioas(&fi, b)->tables);
	fdinfo_free(&fi);
	munmap(buf, p);
}

/*
 * Another user, without capabilities, can open neither the fdinfo of the
 * fd nor the files of its debugfs directory.  The child says which open
 * did what in its exit code.
 */
enum {
	LOOK_REFUSED,
	LOOK_NO_DROP,		/* could not become nobody */
	LOOK_KEPT_CAPS,		/* nobody, with capabilities left */
	LOOK_OPENED = 10,	/* + the index of the path it opened */
	LOOK_ERRNO = 20,	/* + the index of the one with another errno */
};

/* Whether the caller has no effective capability left. */
static bool no_capabilities(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[128];
	bool none = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "CapEff:", 7))
			none = !strtoull(line + 7, NULL, 16);
	fclose(f);
	return none;
}

static int look_as_nobody(char (*paths)[128], int n)
{
	int i, fd;

	if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY) ||
	    geteuid() != NOBODY || getegid() != NOBODY)
		return LOOK_NO_DROP;
	if (!no_capabilities())
		return LOOK_KEPT_CAPS;
	for (i = 0; i < n; i++) {
		fd = open(paths[i], O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			return LOOK_OPENED + i;
		if (errno != EACCES && errno != EPERM)
			return LOOK_ERRNO + i;
	}
	return LOOK_REFUSED;
}

TEST_F(observe, other_users_cannot_look)
{
	const uint64_t p = self->page;
	uint8_t *buf = alloc_buf(p, 0x5a, true);
	char paths[3][128];
	uint32_t id, ctx;
	int n = 1, i, fd, status;
	pid_t pid;

	if (geteuid())
		SKIP(return, "becoming another user needs root");
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, ioasid_alloc(self->fd, &id));
	ASSERT_EQ(0, map_fixed(self->fd, id, buf, p, IOVA));
	ctx = context_of(_metadata, self->fd);
	snprintf(paths[0], sizeof(paths[0]), "/proc/%d/fdinfo/%d", getpid(),
		 self->fd);
	if (!access(IOASID_DEBUGFS, F_OK)) {
		debugfs_path(paths[1], sizeof(paths[1]), ctx, "owner");
		debugfs_path(paths[2], sizeof(paths[2]), ctx, "mappings");
		n = 3;
	} else {
		TH_LOG("no %s: the fdinfo alone", IOASID_DEBUGFS);
	}
	/* Root can open each, so a refusal is about who asks. */
	for (i = 0; i < n; i++) {
		fd = open(paths[i], O_RDONLY | O_CLOEXEC);
		ASSERT_LE(0, fd) TH_LOG("%s: %s", paths[i], strerror(errno));
		close(fd);
	}

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(look_as_nobody(paths, n));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	status = WEXITSTATUS(status);
	EXPECT_NE(LOOK_NO_DROP, status);
	EXPECT_NE(LOOK_KEPT_CAPS, status);
	if (status >= LOOK_OPENED && status < LOOK_OPENED + n)
		TH_LOG("nobody opened %s", paths[status - LOOK_OPENED]);
	if (status >= LOOK_ERRNO && status < LOOK_ERRNO + n)
		TH_LOG("opening %s failed with neither EACCES nor EPERM",
		       paths[status - LOOK_ERRNO]);
	EXPECT_EQ(LOOK_REFUSED, status);
	munmap(buf, p);
}

/*
 * Reads of the fdinfo, and of the mappings file when there is one, while
 * another thread maps, copies, unmaps and moves a device: every read
 * succeeds, and every line of it parses.
 */
#define CHURN_SLOTS	8
#define CHURN_PAGES	4

struct churn {
	int fd;
	uint32_t id[2];
	uint32_t dev;		/* 0 without IOASID_TEST */
	uint8_t *buf;		/* CHURN_SLOTS * CHURN_PAGES pages */
	uint64_t page;
	int stop;
	unsigned long ops;
	int err;		/* of the first call that failed */
	char what[32];
};

static void churn_fail(struct churn *c, const char *what, int err)
{
	if (c->err)
		return;
	snprintf(c->what, sizeof(c->what), "%s", what);
	__atomic_store_n(&c->err, err, __ATOMIC_RELEASE);
}

static void *churn_main(void *arg)
{
	struct churn *c = arg;
	const uint64_t len = CHURN_PAGES * c->page;
	unsigned long i;
	int ret;

	for (i = 0; !__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE) && !c->err;
	     i++) {
		unsigned int slot = i % CHURN_SLOTS;
		uint64_t iova = IOVA + slot * 2 * len;

		if (i >= CHURN_SLOTS) {
			ret = unmap_range(c->fd, c->id[1], iova, len, NULL);
			if (ret)
				churn_fail(c, "unmap copy", ret);
			ret = unmap_range(c->fd, c->id[0], iova, len, NULL);
			if (ret)
				churn_fail(c, "unmap", ret);
		}
		ret = map_fixed(c->fd, c->id[0], c->buf + slot * len, len,
				iova);
		if (ret)
			churn_fail(c, "map", ret);
		ret = copy_fixed(c->fd, c->id[1], c->id[0], iova, len, iova);
		if (ret)
			churn_fail(c, "copy", ret);
		if (c->dev) {
			if (i % 4 == 3)
				ret = mock_detach(c->fd, c->dev);
			else
				ret = mock_attach(c->fd, c->dev, c->id[i % 2]);
			if (ret)
				churn_fail(c, "attach or detach", ret);
		}
		__atomic_add_fetch(&c->ops, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

TEST_F_TIMEOUT(observe, read_while_mapping, 60)
{
	static const size_t chunks[] = { 1, 64, 100, 4096, 65536 };
	struct churn c = { .fd = self->fd, .page = self->page };
	char why[VIEW_ERR_LEN], mappings[128] = "";
	unsigned long reads = 0, map_reads = 0;
	struct view_fdinfo fi = {};
	struct view_mapping *maps;
	uint64_t deadline;
	pthread_t thread;
	uint32_t ctx;
	size_t nr;
	char *text;
	int err;

	c.buf = alloc_buf(CHURN_SLOTS * CHURN_PAGES * self->page, 0x5a, true);
	ASSERT_NE(NULL, c.buf);
	ASSERT_EQ(0, ioasid_alloc(self->fd, &c.id[0]));
	ASSERT_EQ(0, ioasid_alloc(self->fd, &c.id[1]));
	if (self->mock)
		ASSERT_EQ(0, mock_device(self->fd, &c.dev));
	ctx = context_of(_metadata, self->fd);
	if (!geteuid() && !access(IOASID_DEBUGFS, F_OK))
		debugfs_path(mappings, sizeof(mappings), ctx, "mappings");

	ASSERT_EQ(0, pthread_create(&thread, NULL, churn_main, &c));
	deadline = now_ms() + 1500;
	err = 0;
	while (!err && (now_ms() < deadline || reads < 100) &&
	       !__atomic_load_n(&c.err, __ATOMIC_ACQUIRE)) {
		size_t chunk = chunks[reads % 5];
		char path[64];

		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", self->fd);
		text = view_read_path(path, chunk, NULL, &err);
		if (!text) {
			snprintf(why, sizeof(why), "reading %s by %zu: %s",
				 path, chunk, strerror(err));
			break;
		}
		err = fdinfo_parse(text, &fi);
		if (!err && fi.context != ctx)
			err = EBADMSG;
		if (err)
			snprintf(why, sizeof(why), "fdinfo: %.200s (context %u)",
				 fi.error, fi.context);
		free(text);
		reads++;
		if (err || !mappings[0])
			continue;
		text = view_read_path(mappings, chunk, NULL, &err);
		if (!text) {
			snprintf(why, sizeof(why), "reading %s by %zu: %s",
				 mappings, chunk, strerror(err));
			break;
		}
		err = mappings_parse(text, &maps, &nr, why, sizeof(why));
		free(text);
		free(maps);
		map_reads++;
	}
	__atomic_store_n(&c.stop, 1, __ATOMIC_RELEASE);
	pthread_join(thread, NULL);
	ASSERT_EQ(0, err) TH_LOG("after %lu reads: %s", reads, why);
	ASSERT_EQ(0, c.err) TH_LOG("%s: %s", c.what, strerror(c.err));
	TH_LOG("%lu fdinfo reads, %lu of the mappings, %lu rounds of changes",
	       reads, map_reads, c.ops);
	EXPECT_LT(0UL, c.ops);
	/* Still, all of it holds together. */
	read_fdinfo(_metadata, self->fd, &fi);
	fdinfo_free(&fi);
}

/* Reads both views of @fd over and over until told to stop. */
struct looker {
	int fd;
	char mappings[128];
	int stop;
	unsigned long reads;
};

static void *looker_main(void *arg)
{
	struct looker *l = arg;
	char path[64], *text;
	int err;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", l->fd);
	while (!__atomic_load_n(&l->stop, __ATOMIC_ACQUIRE)) {
		text = view_read_path(path, 4096, NULL, &err);
		free(text);
		if (l->mappings[0]) {
			text = view_read_path(l->mappings, 4096, NULL, &err);
			free(text);
		}
		__atomic_add_fetch(&l->reads, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/*
 * Looking at a context must not change what it does: an idle IOASID is
 * destroyed while another thread reads fdinfo and the mappings, never
 * refused with EBUSY because a view holds it.
 */
TEST_F_TIMEOUT(observe, destroy_while_looking, 60)
{
	struct looker l = { .fd = self->fd };
	unsigned int i, busy = 0;
	uint64_t deadline;
	pthread_t thread;
	uint8_t *buf;
	uint32_t id;

	buf = alloc_buf(self->page, 0x5a, true);
	ASSERT_NE(NULL, buf);
	if (!geteuid() && !access(IOASID_DEBUGFS, F_OK))
		debugfs_path(l.mappings, sizeof(l.mappings),
			     context_of(_metadata, self->fd), "mappings");
	ASSERT_EQ(0, pthread_create(&thread, NULL, looker_main, &l));
	deadline = now_ms() + 1500;
	for (i = 0; now_ms() < deadline || i < 200; i++) {
		ASSERT_EQ(0, ioasid_alloc(self->fd, &id));
		ASSERT_EQ(0, map_fixed(self->fd, id, buf, self->page, IOVA));
		if (ioasid_destroy(self->fd, id)) {
			busy++;
			while (ioasid_destroy(self->fd, id))
				;
		}
	}
	__atomic_store_n(&l.stop, 1, __ATOMIC_RELEASE);
	pthread_join(thread, NULL);
	TH_LOG("%u destroys, %lu reads of the views", i,
	       __atomic_load_n(&l.reads, __ATOMIC_RELAXED));
	EXPECT_LT(0UL, l.reads);
	EXPECT_EQ(0U, busy) TH_LOG("%u destroys of an idle IOASID failed", busy);
	munmap(buf, self->page);
}

/* debugfs */

FIXTURE(debugfs) {
	int fd;
	uint64_t page;
	uint32_t context;
};

FIXTURE_SETUP(debugfs)
{
	self->fd = -1;
	if (geteuid())
		SKIP(return, "debugfs needs root");
	if (access(IOASID_DEBUGFS, F_OK))
		SKIP(return, "no %s: no debugfs view (or debugfs unmounted)",
		     IOASID_DEBUGFS);
	self->page = sysconf(_SC_PAGESIZE);
	self->fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	self->context = context_of(_metadata, self->fd);
}

FIXTURE_TEARDOWN(debugfs)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* The whole file @name of the context, read by @chunk bytes. */
static char *read_view(struct __test_metadata *_metadata, uint32_t ctx,
		       const char *name, size_t chunk)
{
	char path[128], *text;
	int err;

	debugfs_path(path, sizeof(path), ctx, name);
	text = view_read_path(path, chunk, NULL, &err);
	EXPECT_NE(NULL, text) TH_LOG("%s: %s", path, strerror(err));
	return text;
}

/* Appends the mappings line of @ioas at [@iova, @iova + @len). */
static void add_line(char *text, size_t size, const char *prot, uint32_t ioas,
		     uint64_t iova, uint64_t len, const char *backing,
		     const char *sharing)
{
	size_t used = strlen(text);

	snprintf(text + used, size - used,
		 "%u 0x%016llx-0x%016llx %s %llu %s %s\n", ioas, ULL(iova),
		 ULL(iova + len - 1), prot, ULL(len), backing, sharing);
}

/* The mappings file of the context is exactly @want. */
static void expect_mappings(struct __test_metadata *_metadata, uint32_t ctx,
			    const char *want)
{
	char *text = read_view(_metadata, ctx, "mappings", 4096);
	char why[VIEW_ERR_LEN];
	struct view_mapping *maps;
	size_t nr;

	ASSERT_NE(NULL, text);
	EXPECT_STREQ(want, text);
	EXPECT_EQ(0, mappings_parse(text, &maps, &nr, why, sizeof(why)))
		TH_LOG("%s", why);
	EXPECT_TRUE(mappings_ordered(maps, nr, why, sizeof(why)))
		TH_LOG("%s", why);
	free(maps);
	free(text);
}

/*
 * The mappings file and the fdinfo agree: per IOASID, as many lines as
 * mappings, their bytes adding up to mapped-bytes.
 */
static void expect_agree(struct __test_metadata *_metadata, int fd,
			 uint32_t ctx)
{
	char *text = read_view(_metadata, ctx, "mappings", 4096);
	struct view_fdinfo fi = {};
	char why[VIEW_ERR_LEN];
	struct view_mapping *maps;
	unsigned int i;
	size_t nr, j;

	ASSERT_NE(NULL, text);
	ASSERT_EQ(0, mappings_parse(text, &maps, &nr, why, sizeof(why)))
		TH_LOG("%s", why);
	free(text);
	read_fdinfo(_metadata, fd, &fi);
	for (i = 0; i < fi.nr_ioas; i++) {
		uint64_t lines = 0, bytes = 0;

		for (j = 0; j < nr; j++) {
			if (maps[j].ioas != fi.ioas[i].id)
				continue;
			lines++;
			bytes += maps[j].bytes;
		}
		EXPECT_EQ(fi.ioas[i].mappings, lines);
		EXPECT_EQ(fi.ioas[i].mapped_bytes, bytes);
	}
	free(maps);
	fdinfo_free(&fi);
}

/* The directory, its root-only files, and who opened the fd. */
TEST_F(debugfs, owner)
{
	static const char * const files[] = { "owner", "mappings" };
	char path[128], comm[64], got[64], *text;
	struct stat st;
	unsigned int i;
	pid_t pid = 0;

	debugfs_path(path, sizeof(path), self->context, NULL);
	ASSERT_EQ(0, stat(path, &st)) TH_LOG("%s: %s", path, strerror(errno));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	for (i = 0; i < 2; i++) {
		debugfs_path(path, sizeof(path), self->context, files[i]);
		ASSERT_EQ(0, stat(path, &st))
			TH_LOG("%s: %s", path, strerror(errno));
		EXPECT_TRUE(S_ISREG(st.st_mode));
		EXPECT_EQ(0400U, st.st_mode & 07777) TH_LOG("%s", path);
		EXPECT_EQ(0U, st.st_uid) TH_LOG("%s", path);
	}

	ASSERT_TRUE(read_line("/proc/self/comm", comm, sizeof(comm)));
	text = read_view(_metadata, self->context, "owner", 4096);
	ASSERT_NE(NULL, text);
	EXPECT_EQ(0, owner_parse(text, &pid, got, sizeof(got)))
		TH_LOG("owner: \"%s\"", text);
	EXPECT_EQ(getpid(), pid);
	EXPECT_STREQ(comm, got);
	/* By one byte at a time, the same. */
	free(text);
	text = read_view(_metadata, self->context, "owner", 1);
	ASSERT_NE(NULL, text);
	EXPECT_EQ(0, owner_parse(text, &pid, got, sizeof(got)));
	EXPECT_EQ(getpid(), pid);
	free(text);
}

#define RW_IOVA		(IOVA + SZ_1M / 2)

/*
 * One line per mapping, by IOASID then IOVA, with its protection, its
 * memory and whether a copy shares its pinned range.  The mapping of the
 * second IOASID is below the others in IOVA.
 */

TEST_F(debugfs, mappings)
{
	const uint64_t p = self->page;
	uint8_t *rw = alloc_buf(4 * p, 0x11, true);
	uint8_t *ro = alloc_buf(2 * p, 0x22, true);
	uint8_t *wo = alloc_buf(p, 0x33, true);
	uint8_t *other = alloc_buf(2 * p, 0x44, true);
	struct ioasid_copy copy = {
		.flags = IOASID_MAP_READ | IOASID_MAP_FIXED_IOVA,
		.length = 2 * p,
		.src_iova = IOVA + SZ_1M,
		.dst_iova = IOVA + 3 * SZ_1M,
	};
	char want[2048];
	uint32_t a, b;

	ASSERT_NE(NULL, rw);
	ASSERT_NE(NULL, ro);
	ASSERT_NE(NULL, wo);
	ASSERT_NE(NULL, other);
	expect_mappings(_metadata, self->context, "");
	ASSERT_EQ(0, ioasid_alloc(self->fd, &a));
	ASSERT_EQ(0, ioasid_alloc(self->fd, &b));
	ASSERT_LT(a, b);
	expect_mappings(_metadata, self->context, "");

	ASSERT_EQ(0, map_fixed(self->fd, b, other, 2 * p, IOVA));
	ASSERT_EQ(0, map_fixed_prot(self->fd, a, wo, p, IOVA + 2 * SZ_1M,
				    IOASID_MAP_WRITE));
	ASSERT_EQ(0, map_fixed_prot(self->fd, a, ro, 2 * p, IOVA + SZ_1M,
				    IOASID_MAP_READ));
	ASSERT_EQ(0, map_fixed(self->fd, a, rw, 4 * p, RW_IOVA));
	want[0] = '\0';
	add_line(want, sizeof(want), "rw", a, RW_IOVA, 4 * p, "4k",
		 "private");
	add_line(want, sizeof(want), "r-", a, IOVA + SZ_1M, 2 * p, "4k",
		 "private");
	add_line(want, sizeof(want), "-w", a, IOVA + 2 * SZ_1M, p, "4k",
		 "private");
	add_line(want, sizeof(want), "rw", b, IOVA, 2 * p, "4k", "private");
	expect_mappings(_metadata, self->context, want);
	expect_agree(_metadata, self->fd, self->context);

	/* Two pages of the four into b: both mappings share the range. */
	ASSERT_EQ(0, copy_fixed(self->fd, b, a, RW_IOVA + p, 2 * p,
				IOVA + SZ_1M));
	want[0] = '\0';
	add_line(want, sizeof(want), "rw", a, RW_IOVA, 4 * p, "4k",
		 "shared");
	add_line(want, sizeof(want), "r-", a, IOVA + SZ_1M, 2 * p, "4k",
		 "private");
	add_line(want, sizeof(want), "-w", a, IOVA + 2 * SZ_1M, p, "4k",
		 "private");
	add_line(want, sizeof(want), "rw", b, IOVA, 2 * p, "4k", "private");
	add_line(want, sizeof(want), "rw", b, IOVA + SZ_1M, 2 * p, "4k",
		 "shared");
	expect_mappings(_metadata, self->context, want);
	expect_agree(_metadata, self->fd, self->context);

	/* With the copy gone, the source is private again. */
	ASSERT_EQ(0, unmap_range(self->fd, b, IOVA + SZ_1M, 2 * p, NULL));
	/* A read-only copy within a, of the read-only mapping */
	copy.dst_ioasid = a;
	copy.src_ioasid = a;
	ASSERT_EQ(0, do_copy(self->fd, &copy));
	want[0] = '\0';
	add_line(want, sizeof(want), "rw", a, RW_IOVA, 4 * p, "4k",
		 "private");
	add_line(want, sizeof(want), "r-", a, IOVA + SZ_1M, 2 * p, "4k",
		 "shared");
	add_line(want, sizeof(want), "-w", a, IOVA + 2 * SZ_1M, p, "4k",
		 "private");
	add_line(want, sizeof(want), "r-", a, IOVA + 3 * SZ_1M, 2 * p, "4k",
		 "shared");
	add_line(want, sizeof(want), "rw", b, IOVA, 2 * p, "4k", "private");
	expect_mappings(_metadata, self->context, want);
	expect_agree(_metadata, self->fd, self->context);

	ASSERT_EQ(0, ioasid_destroy(self->fd, a));
	want[0] = '\0';
	add_line(want, sizeof(want), "rw", b, IOVA, 2 * p, "4k", "private");
	expect_mappings(_metadata, self->context, want);
	munmap(rw, 4 * p);
	munmap(ro, 2 * p);
	munmap(wo, p);
	munmap(other, 2 * p);
}

/* Whether THP may back an madvise()d buffer. */
static bool thp_allowed(void)
{
	char line[128];

	return read_line(THP_ENABLED, line, sizeof(line)) &&
	       (strstr(line, "[always]") || strstr(line, "[madvise]"));
}

/* A 2 MiB mapping of a THP says so. */
TEST_F(debugfs, thp)
{
	char want[256];
	uint8_t *buf;
	void *base;
	uint32_t id;

	if (!thp_allowed())
		SKIP(return, "%s allows no THP", THP_ENABLED);
	buf = alloc_huge(&base);
	ASSERT_NE(NULL, buf);
	if (anon_huge_kb(buf) < SZ_2M / 1024) {
		munmap(base, 2 * SZ_2M);
		SKIP(return, "no THP came for the buffer");
	}
	ASSERT_EQ(0, ioasid_alloc(self->fd, &id));
	ASSERT_EQ(0, map_fixed(self->fd, id, buf, SZ_2M, 8 * SZ_2M));
	want[0] = '\0';
	add_line(want, sizeof(want), "rw", id, 8 * SZ_2M, SZ_2M, "thp",
		 "private");
	expect_mappings(_metadata, self->context, want);
	munmap(base, 2 * SZ_2M);
}

/* The mapping at @i of the chunked read test. */
static uint64_t many_iova(uint64_t page, unsigned int i)
{
	return IOVA + 2ULL * i * page;
}

/* Reads @fd to its end by @chunk bytes; its text must be @want. */
static void expect_read(struct __test_metadata *_metadata, int fd,
			size_t chunk, const char *want, size_t want_len)
{
	size_t len, i;
	char *text;
	int err;

	text = view_read_fd(fd, chunk, &len, &err);
	ASSERT_NE(NULL, text) TH_LOG("by %zu: %s", chunk, strerror(err));
	for (i = 0; i < len && i < want_len && text[i] == want[i]; i++)
		;
	if (i < len || i < want_len) {
		size_t line = i;

		while (line && want[line - 1] != '\n')
			line--;
		TH_LOG("by %zu bytes: %zu read, %zu expected", chunk, len,
		       want_len);
		TH_LOG("at %zu: \"%.60s\", expected \"%.60s\"", line,
		       line < len ? text + line : "", want + line);
	}
	EXPECT_EQ(want_len, len);
	EXPECT_EQ(0, memcmp(text, want, len < want_len ? len : want_len));
	free(text);
}

/*
 * MANY mappings: read() by 100 bytes and by 4096, and again after an
 * lseek() back to 0, from the start and from the middle of a read; each
 * time every line comes exactly once, in order.
 */
TEST_F_TIMEOUT(debugfs, many_mappings, 600)
{
	const uint64_t p = self->page;
	uint8_t *buf = alloc_buf(p, 0x5a, true);
	size_t want_len = 0, size = MANY * 80;
	char path[128], *want, head[1000];
	uint64_t start;
	uint32_t id;
	unsigned int i;
	int fd;

	ASSERT_NE(NULL, buf);
	want = malloc(size);
	ASSERT_NE(NULL, want);
	ASSERT_EQ(0, ioasid_alloc(self->fd, &id));
	start = now_ms();
	for (i = 0; i < MANY; i++) {
		ASSERT_EQ(0, map_fixed(self->fd, id, buf, p, many_iova(p, i)))
			TH_LOG("mapping %u", i);
		want_len += snprintf(want + want_len, size - want_len,
				     "%u 0x%016llx-0x%016llx rw %llu 4k private\n",
				     id, ULL(many_iova(p, i)),
				     ULL(many_iova(p, i) + p - 1), ULL(p));
		ASSERT_GT(size, want_len);
	}
	TH_LOG("%u mappings in %llu ms", MANY, ULL(now_ms() - start));

	debugfs_path(path, sizeof(path), self->context, "mappings");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("%s: %s", path, strerror(errno));
	start = now_ms();
	expect_read(_metadata, fd, 100, want, want_len);
	ASSERT_EQ(0, lseek(fd, 0, SEEK_SET));
	expect_read(_metadata, fd, 4096, want, want_len);
	/* Back to the start from the middle of a read */
	ASSERT_EQ(0, lseek(fd, 0, SEEK_SET));
	ASSERT_EQ((ssize_t)sizeof(head), read(fd, head, sizeof(head)));
	ASSERT_EQ(0, memcmp(head, want, sizeof(head)));
	ASSERT_EQ(0, lseek(fd, 0, SEEK_SET));
	expect_read(_metadata, fd, 100, want, want_len);
	TH_LOG("three reads of %zu bytes in %llu ms", want_len,
	       ULL(now_ms() - start));
	close(fd);
	free(want);
}

/* The directory is the context's: it goes when its last fd is closed. */
TEST_F(debugfs, gone_after_close)
{
	char path[128];
	struct stat st;
	uint32_t ctx;
	int fd, dup_fd;

	fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ctx = context_of(_metadata, fd);
	EXPECT_NE(self->context, ctx);
	debugfs_path(path, sizeof(path), ctx, NULL);
	ASSERT_EQ(0, stat(path, &st)) TH_LOG("%s: %s", path, strerror(errno));
	dup_fd = dup(fd);
	ASSERT_LE(0, dup_fd);
	close(fd);
	EXPECT_EQ(0, stat(path, &st)) TH_LOG("gone with a dup left");
	close(dup_fd);
	EXPECT_EQ(-1, stat(path, &st));
	EXPECT_EQ(ENOENT, errno);
	debugfs_path(path, sizeof(path), ctx, "mappings");
	EXPECT_EQ(-1, stat(path, &st));
	/* The fixture's context is still there. */
	debugfs_path(path, sizeof(path), self->context, "mappings");
	EXPECT_EQ(0, stat(path, &st));
}

/* Tracepoints */

static const char * const tracefs_dirs[] = {
	"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
};

FIXTURE(trace) {
	int fd;
	uint64_t page;
	char dir[160];		/* where the trace goes: an instance, or tracefs */
	bool instance;
	bool saved;		/* without an instance: what to put back */
	char old_enable[16];
	char old_on[16];
};

/* Writes @val to @name of the trace directory; 0 or an errno. */
static int trace_write(const char *dir, const char *name, const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return write_file(path, val);
}

static bool trace_read(const char *dir, const char *name, char *val,
		       size_t size)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return read_line(path, val, size);
}

FIXTURE_SETUP(trace)
{
	char base[128] = "", path[256];
	const char *why;
	unsigned int i;

	self->fd = -1;
	if (geteuid())
		SKIP(return, "tracing needs root");
	for (i = 0; i < 2 && !base[0]; i++) {
		snprintf(path, sizeof(path), "%s/events/ioasid",
			 tracefs_dirs[i]);
		if (!access(path, F_OK))
			snprintf(base, sizeof(base), "%s", tracefs_dirs[i]);
	}
	if (!base[0])
		SKIP(return, "no events/ioasid in tracefs");
	self->fd = open_test_ioasid(&why);
	if (self->fd < 0)
		SKIP(return, "%s", why);
	self->page = sysconf(_SC_PAGESIZE);

	/* An instance, with a buffer and event switches of its own */
	snprintf(self->dir, sizeof(self->dir), "%s/instances/ioasid_observe_%d",
		 base, getpid());
	if (!mkdir(self->dir, 0755)) {
		self->instance = true;
		return;
	}
	TH_LOG("no trace instance (%s): tracing at the top", strerror(errno));
	snprintf(self->dir, sizeof(self->dir), "%s", base);
	self->saved = trace_read(base, "events/ioasid/enable", self->old_enable,
				 sizeof(self->old_enable)) &&
		      trace_read(base, "tracing_on", self->old_on,
				 sizeof(self->old_on));
	ASSERT_TRUE(self->saved);
}

FIXTURE_TEARDOWN(trace)
{
	int i;

	if (self->fd >= 0)
		close(self->fd);
	if (self->instance) {
		trace_write(self->dir, "events/ioasid/enable", "0");
		/* An instance goes once nothing holds its files. */
		for (i = 0; i < 50 && rmdir(self->dir) && errno == EBUSY; i++)
			usleep(100 * 1000);
	} else if (self->saved) {
		/* "X" says some were on: none are, as before the test. */
		trace_write(self->dir, "events/ioasid/enable",
			    strcmp(self->old_enable, "1") ? "0" : "1");
		trace_write(self->dir, "tracing_on", self->old_on);
	}
}

/* The value of @key in the fields of an event, as text. */
static bool field_of(const char *fields, const char *key, char *val,
		     size_t size)
{
	size_t klen = strlen(key), len;
	const char *p = fields;

	while (*p) {
		len = strcspn(p, "\n ");
		if (len > klen && !strncmp(p, key, klen) && p[klen] == '=') {
			len -= klen + 1;
			if (len >= size)
				len = size - 1;
			memcpy(val, p + klen + 1, len);
			val[len] = '\0';
			return true;
		}
		p += len;
		if (*p == '\n' || !*p)
			break;
		p++;
	}
	return false;
}

static bool as_number(const char *s, unsigned long long *n)
{
	char *end;

	if (!*s)
		return false;
	errno = 0;
	*n = strtoull(s, &end, 0);
	return !*end && !errno;
}

/*
 * Whether @fields have each key=value pair of @want: numbers compare as
 * numbers, whatever their base, other values as text.
 */
static bool fields_match(const char *fields, const char *want)
{
	char pair[128], key[64], got[128];
	unsigned long long x, y;
	const char *p = want, *eq;
	size_t len;

	while (*p) {
		len = strcspn(p, " ");
		snprintf(pair, sizeof(pair), "%.*s", (int)len, p);
		p += len;
		while (*p == ' ')
			p++;
		eq = strchr(pair, '=');
		if (!eq)
			return false;
		snprintf(key, sizeof(key), "%.*s", (int)(eq - pair), pair);
		if (!field_of(fields, key, got, sizeof(got)))
			return false;
		if (as_number(eq + 1, &x) && as_number(got, &y) ? x != y :
		    strcmp(eq + 1, got))
			return false;
	}
	return true;
}

/*
 * The events @event of @trace whose fields match the printf() of @fmt;
 * the fields of the last one go to @last when not NULL.
 */
static int __printf(4, 5) count_events(const char *trace, const char *event,
				       char *last, const char *fmt, ...)
{
	char pattern[64], want[512], fields[512];
	const char *line, *at, *nl;
	va_list ap;
	int n = 0;

	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	snprintf(pattern, sizeof(pattern), ": %s: ", event);
	for (line = trace; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			break;
		if (*line == '#')
			continue;
		at = strstr(line, pattern);
		if (!at || at > nl)
			continue;
		at += strlen(pattern);
		snprintf(fields, sizeof(fields), "%.*s", (int)(nl - at), at);
		if (!fields_match(fields, want))
			continue;
		n++;
		if (last)
			snprintf(last, 512, "%s", fields);
	}
	return n;
}

/* The sum of @key over the events @event of context @ctx. */
static unsigned long long sum_events(const char *trace, const char *event,
				     uint32_t ctx, const char *key)
{
	char pattern[64], fields[512], ctx_want[32], val[32];
	unsigned long long sum = 0, n;
	const char *line, *at, *nl;

	snprintf(pattern, sizeof(pattern), ": %s: ", event);
	snprintf(ctx_want, sizeof(ctx_want), "ctx=%u", ctx);
	for (line = trace; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			break;
		at = strstr(line, pattern);
		if (*line == '#' || !at || at > nl)
			continue;
		at += strlen(pattern);
		snprintf(fields, sizeof(fields), "%.*s", (int)(nl - at), at);
		if (fields_match(fields, ctx_want) &&
		    field_of(fields, key, val, sizeof(val)) &&
		    as_number(val, &n))
			sum += n;
	}
	return sum;
}

static char *read_trace(struct __test_metadata *_metadata, const char *dir)
{
	char path[256], *trace;
	int err;

	snprintf(path, sizeof(path), "%s/trace", dir);
	trace = view_read_path(path, 65536, NULL, &err);
	EXPECT_NE(NULL, trace) TH_LOG("%s: %s", path, strerror(err));
	return trace;
}

/* The table the RID of @name, or its @pasid, is attached through. */
static uint32_t table_now(struct __test_metadata *_metadata, int fd,
			  const char *name, uint32_t pasid)
{
	struct view_fdinfo fi = {};
	const struct view_device *d;
	const struct view_pasid *pa;
	uint32_t t = 0;

	read_fdinfo(_metadata, fd, &fi);
	if (pasid) {
		pa = fdinfo_pasid(&fi, name, pasid);
		EXPECT_NE(NULL, pa) TH_LOG("no line of PASID %u", pasid);
		t = pa ? pa->table : 0;
	} else {
		d = fdinfo_device(&fi, name);
		EXPECT_TRUE(d && d->attached) TH_LOG("%s not attached", name);
		t = d ? d->table : 0;
	}
	fdinfo_free(&fi);
	return t;
}

/*
 * Map, a read-only map, copy, unmap; bind, attach, attach a PASID, move
 * both to the other IOASID, a DMA that faults, detach both, unbind: each
 * event says what happened, in the numbers the fdinfo gives.
 */
TEST_F_TIMEOUT(trace, events, 120)
{
	const uint64_t p = self->page, len = 4 * p;
	const uint64_t ro_iova = IOVA + SZ_1M, copy_iova = IOVA + 2 * SZ_1M;
	const uint64_t hole = IOVA + 8 * SZ_1M;
	uint8_t *buf = alloc_buf(len, 0x11, true);
	uint8_t *ro = alloc_buf(p, 0x22, true);
	uint8_t *got = alloc_buf(p, 0, true);
	struct ioasid_test cmd = { .mock_device.pasid_bits = 4 };
	uint32_t a, b, dev, ctx, t1, t2, pt1, pt2;
	char name[VIEW_NAME_LEN], fields[512], val[32], *trace;
	unsigned long long prot, creates, frees;
	uint64_t fault = 0, out = 0;
	int ret;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, ro);
	ASSERT_NE(NULL, got);
	ctx = context_of(_metadata, self->fd);
	ASSERT_EQ(0, ioasid_alloc(self->fd, &a));
	ASSERT_EQ(0, ioasid_alloc(self->fd, &b));

	ASSERT_EQ(0, trace_write(self->dir, "tracing_on", "0"));
	ASSERT_EQ(0, trace_write(self->dir, "trace", ""));
	ASSERT_EQ(0, trace_write(self->dir, "events/ioasid/enable", "1"));
	ASSERT_EQ(0, trace_write(self->dir, "tracing_on", "1"));

	ASSERT_EQ(0, map_fixed(self->fd, a, buf, len, IOVA));
	ASSERT_EQ(0, map_fixed_prot(self->fd, a, ro, p, ro_iova,
				    IOASID_MAP_READ));
	ASSERT_EQ(0, copy_fixed(self->fd, b, a, IOVA, len, copy_iova));
	ASSERT_EQ(0, unmap_range(self->fd, a, ro_iova, p, &out));
	ASSERT_EQ(p, out);
	new_mock(_metadata, self->fd, &cmd, &dev, name);
	ASSERT_EQ(0, mock_attach(self->fd, dev, a));
	t1 = table_now(_metadata, self->fd, name, 0);
	ASSERT_EQ(0, mock_attach_pasid(self->fd, dev, 1, a));
	pt1 = table_now(_metadata, self->fd, name, 1);
	ASSERT_EQ(0, mock_attach(self->fd, dev, b));
	t2 = table_now(_metadata, self->fd, name, 0);
	ASSERT_EQ(0, mock_attach_pasid(self->fd, dev, 1, b));
	pt2 = table_now(_metadata, self->fd, name, 1);
	ret = do_dma(self->fd, dev, 0, hole, got, p, 0, &fault);
	ASSERT_EQ(EIO, ret);
	ASSERT_EQ(hole, fault);
	ASSERT_EQ(0, mock_detach_pasid(self->fd, dev, 1));
	ASSERT_EQ(0, mock_detach(self->fd, dev));
	ASSERT_EQ(0, unmap_all(self->fd, a, NULL));
	ASSERT_EQ(0, unmap_all(self->fd, b, NULL));
	ASSERT_EQ(0, ioasid_destroy(self->fd, a));
	ASSERT_EQ(0, ioasid_destroy(self->fd, b));
	ASSERT_EQ(0, ioasid_destroy(self->fd, dev));

	ASSERT_EQ(0, trace_write(self->dir, "tracing_on", "0"));
	ASSERT_EQ(0, trace_write(self->dir, "events/ioasid/enable", "0"));
	trace = read_trace(_metadata, self->dir);
	ASSERT_NE(NULL, trace);

	/* Mappings */
	EXPECT_EQ(1, count_events(trace, "ioasid_map", fields,
				  "ctx=%u ioas=%u iova=%#llx length=%#llx",
				  ctx, a, ULL(IOVA), ULL(len)));
	ASSERT_TRUE(field_of(fields, "prot", val, sizeof(val)));
	ASSERT_TRUE(as_number(val, &prot));
	EXPECT_EQ(3ULL, prot & 3);
	EXPECT_EQ(1, count_events(trace, "ioasid_map", fields,
				  "ctx=%u ioas=%u iova=%#llx length=%#llx",
				  ctx, a, ULL(ro_iova), ULL(p)));
	ASSERT_TRUE(field_of(fields, "prot", val, sizeof(val)));
	ASSERT_TRUE(as_number(val, &prot));
	EXPECT_EQ(1ULL, prot & 3);
	EXPECT_EQ(1, count_events(trace, "ioasid_copy", NULL,
				  "ctx=%u src=%u dst=%u src_iova=%#llx dst_iova=%#llx length=%#llx",
				  ctx, a, b, ULL(IOVA), ULL(copy_iova),
				  ULL(len)));
	EXPECT_EQ(1, count_events(trace, "ioasid_unmap", NULL,
				  "ctx=%u ioas=%u iova=%#llx length=%#llx unmapped=%#llx",
				  ctx, a, ULL(ro_iova), ULL(p), ULL(p)));
	/* Everything mapped was pinned once, and is unpinned now. */
	EXPECT_EQ(ULL(5), sum_events(trace, "ioasid_pin", ctx, "npages"));
	EXPECT_EQ(ULL(5), sum_events(trace, "ioasid_unpin", ctx, "npages"));

	/* The device */
	EXPECT_EQ(1, count_events(trace, "ioasid_bind", NULL,
				  "ctx=%u dev=%s dma_owner=1", ctx, name));
	EXPECT_EQ(1, count_events(trace, "ioasid_attach", NULL,
				  "ctx=%u dev=%s ioas=%u table=%u old_ioas=0",
				  ctx, name, a, t1));
	EXPECT_EQ(1, count_events(trace, "ioasid_attach", NULL,
				  "ctx=%u dev=%s ioas=%u table=%u old_ioas=%u",
				  ctx, name, b, t2, a));
	EXPECT_EQ(2, count_events(trace, "ioasid_attach", NULL, "ctx=%u",
				  ctx));
	EXPECT_EQ(1, count_events(trace, "ioasid_attach_pasid", NULL,
				  "ctx=%u dev=%s pasid=1 ioas=%u table=%u old_ioas=0",
				  ctx, name, a, pt1));
	EXPECT_EQ(1, count_events(trace, "ioasid_attach_pasid", NULL,
				  "ctx=%u dev=%s pasid=1 ioas=%u table=%u old_ioas=%u",
				  ctx, name, b, pt2, a));
	EXPECT_EQ(1, count_events(trace, "ioasid_fault", NULL,
				  "dev=%s table=%u iova=%#llx flags=0", name,
				  t2, ULL(hole)));
	EXPECT_EQ(1, count_events(trace, "ioasid_detach_pasid", NULL,
				  "ctx=%u dev=%s pasid=1 ioas=%u table=%u",
				  ctx, name, b, pt2));
	EXPECT_EQ(1, count_events(trace, "ioasid_detach", NULL,
				  "ctx=%u dev=%s ioas=%u table=%u", ctx, name,
				  b, t2));
	EXPECT_EQ(1, count_events(trace, "ioasid_unbind", NULL,
				  "ctx=%u dev=%s", ctx, name));

	/* Each table made for the device, and all of them freed */
	EXPECT_LE(1, count_events(trace, "ioasid_table_create", NULL,
				  "table=%u dev=%s", t1, name));
	EXPECT_LE(1, count_events(trace, "ioasid_table_create", NULL,
				  "table=%u dev=%s", t2, name));
	EXPECT_LE(1, count_events(trace, "ioasid_table_create", NULL,
				  "table=%u dev=%s", pt1, name));
	EXPECT_LE(1, count_events(trace, "ioasid_table_create", NULL,
				  "table=%u dev=%s", pt2, name));
	EXPECT_LE(1, count_events(trace, "ioasid_table_free", NULL,
				  "table=%u", t1));
	EXPECT_LE(1, count_events(trace, "ioasid_table_free", NULL,
				  "table=%u", t2));
	EXPECT_LE(1, count_events(trace, "ioasid_table_free", NULL,
				  "table=%u", pt1));
	EXPECT_LE(1, count_events(trace, "ioasid_table_free", NULL,
				  "table=%u", pt2));
	creates = count_events(trace, "ioasid_table_create", NULL, "dev=%s",
			       name);
	frees = count_events(trace, "ioasid_table_free", NULL, "%s", "");
	EXPECT_EQ(creates, frees);
	EXPECT_NE(t1, t2);
	if (_metadata->exit_code)
		TH_LOG("the trace:\n%s", trace);
	free(trace);
	munmap(buf, len);
	munmap(ro, p);
	munmap(got, p);
}

TEST_HARNESS_MAIN
