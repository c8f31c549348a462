// SPDX-License-Identifier: GPL-2.0-only
/*
 * vhost-vdpa on /dev/ioasid: two QEMU virtio-net functions on one hub,
 * given to vp_vdpa and driven from here through their /dev/vhost-vdpa-N
 * by libioasid's vdpa_net.c, so that what A transmits B receives and the
 * other way round.  Bound to one /dev/ioasid fd and attached to one IOASID
 * holding their rings and buffers, they exchange frames that arrive whole;
 * the stock vhost IOTLB path still works on fds never bound; the bind,
 * attach and detach calls keep their rules; an address space moves to
 * another IOASID while the device runs; DMA to an unmapped IOVA is
 * blocked; either fd may be closed first, and the vDPA device or its
 * function removed while attached.  vdpa_sim_net, a parent that
 * translates for itself, is given the IOASID's mappings and loses them on
 * unmap, in the same kernel.
 *
 * The fixture hands both functions to vp-vdpa and creates their vDPA
 * devices through the "vdpa" generic netlink family; its teardown, run by
 * the parent once the test's process has exited and so closed every fd,
 * deletes them, so that no test inherits another's device state.  The
 * functions stay with vp-vdpa, which the next setup finds them bound to:
 * probing them again costs TCG a second a test.  The IOVAs are clear of
 * the MSI windows of the three targets (0xfee00000 on x86, 0x08000000
 * for SMMUv3's software MSI).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/ioasid.h>
#include <linux/vhost.h>

#include "edu_vfio.h"
#include "ioasid_utils.h"
#include "ioasid_views.h"
#include "vdpa_net.h"
#include "../kselftest_harness.h"

#define IOVA_BASE	0x40000000ULL
#define IOVA_STRIDE	(16 * SZ_1M)	/* between A's range and B's */
#define NFRAMES		8
/* TCG: a frame crosses two emulated devices and a hub. */
#define TX_WAIT_MS	5000
#define RX_WAIT_MS	5000
/* How long a blocked frame is given to show up anyway. */
#define BLOCKED_WAIT_MS	1000
#define ETH_P_IOASID	0x88b5	/* IEEE 802 local experimental */
#define FRAME_MAGIC	0x494f5644U
#define FRAME_HDR	26	/* Ethernet header, magic, tag, seq */
#define POISON		0x5a
#define OTHER_POISON	0xa5
#define SIM_DEV		"ioasid-vsim0"
#define SIM_USE_VA	"/sys/module/vdpa_sim/parameters/use_va"

FIXTURE(vdpa) {
	enum target target;
	char pci[2][32];	/* the two functions, A and B */
	char name[2][32];	/* their vDPA devices */
	bool unsafe_set;	/* allow_unsafe_interrupts set by setup */
	/* The test process's own, which the parent's teardown leaves alone. */
	struct vnet_dev dev[2];
	int ioasid_fd;
	uint32_t ioasid;
};

static int vioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? errno : 0;
}

/*
 * VHOST_VDPA_IOASID_BIND with argsz 0 binds nothing: EINVAL where the
 * kernel has it.  Without it the call falls to the vring ioctls, which
 * read the 0 as a queue index and answer ENOTTY.
 */
static int probe_bind(int fd)
{
	struct vhost_vdpa_ioasid_bind cmd = { .argsz = 0, .ioasid_fd = -1 };

	return vioctl(fd, VHOST_VDPA_IOASID_BIND, &cmd);
}

/* Deletes both vDPA devices and gives both functions back to virtio-pci. */
static int unwind(FIXTURE_DATA(vdpa) *self, char *why, size_t len)
{
	int i, ret, first = 0;

	for (i = 0; i < 2; i++) {
		ret = vdpa_dev_del(self->name[i], NULL, 0);
		if (ret && ret != ENODEV && !first) {
			first = ret;
			snprintf(why, len, "deleting vDPA device %s",
				 self->name[i]);
		}
	}
	return first;
}

static int open_dev(FIXTURE_DATA(vdpa) *self, int i, char *why, size_t len)
{
	char path[64];
	int ret = vhost_vdpa_path(self->name[i], path, sizeof(path));

	if (ret) {
		snprintf(why, len, "no vhost-vdpa char device for %s",
			 self->name[i]);
		return ret;
	}
	ret = vnet_open(&self->dev[i], path);
	if (ret)
		snprintf(why, len, "opening %s", path);
	return ret;
}

/* Both functions on vp-vdpa, their vDPA devices created and opened. */
static int bring_up(FIXTURE_DATA(vdpa) *self, char *why, size_t len)
{
	char msg[128];
	int i, ret;

	for (i = 0; i < 2; i++) {
		/* What a test killed on its timeout may have left. */
		vdpa_dev_del(self->name[i], NULL, 0);
		ret = vnet_bind_vp_vdpa(self->pci[i]);
		if (ret) {
			snprintf(why, len, "binding %s to vp-vdpa",
				 self->pci[i]);
			return ret;
		}
		ret = vdpa_dev_add("pci", self->pci[i], self->name[i], msg,
				   sizeof(msg));
		if (ret) {
			snprintf(why, len, "creating vDPA device %s on pci/%s%s%s",
				 self->name[i], self->pci[i], *msg ? ": " : "",
				 msg);
			return ret;
		}
		ret = open_dev(self, i, why, len);
		if (ret)
			return ret;
	}
	return 0;
}

static void close_devs(FIXTURE_DATA(vdpa) *self)
{
	vnet_close(&self->dev[0]);
	vnet_close(&self->dev[1]);
}

FIXTURE_SETUP(vdpa)
{
	char why[256] = "", ignored[256];
	bool no_bind = false;
	int n, ret;

	self->ioasid_fd = -1;
	self->unsafe_set = false;
	vnet_init(&self->dev[0]);
	vnet_init(&self->dev[1]);
	snprintf(self->name[0], sizeof(self->name[0]), "ioasid-vnet0");
	snprintf(self->name[1], sizeof(self->name[1]), "ioasid-vnet1");
	if (geteuid())
		SKIP(return, "rebinding PCI functions and creating vDPA devices need root");
	self->target = read_target();
	n = vnet_find_pci(self->pci, 2);
	if (n < 2)
		SKIP(return, "%d virtio-net function(s) (" VNET_PCI_ID "), two needed",
		     n < 0 ? 0 : n);
	if (access("/sys/bus/pci/drivers/vp-vdpa", F_OK))
		SKIP(return, "no vp-vdpa driver (CONFIG_VP_VDPA)");
	if (access("/sys/bus/vdpa/drivers/vhost_vdpa", F_OK))
		SKIP(return, "no vhost_vdpa driver (CONFIG_VHOST_VDPA)");
	if (access("/dev/ioasid", F_OK))
		SKIP(return, "no /dev/ioasid");

	/* virtio-iommu cannot isolate MSIs: /dev/ioasid binds only so. */
	if (self->target == TARGET_VIRTIO && !access(UNSAFE_PARAM, F_OK)) {
		ASSERT_EQ(0, write_unsafe("Y"))
			TH_LOG("writing Y to " UNSAFE_PARAM);
		self->unsafe_set = true;
	}

	ret = bring_up(self, why, sizeof(why));
	if (!ret) {
		snprintf(why, sizeof(why), "probing VHOST_VDPA_IOASID_BIND");
		ret = probe_bind(self->dev[0].fd);
		no_bind = ret == ENOTTY || ret == ENOBUFS;
		/* A kernel with the ioctl refuses argsz 0. */
		if (ret == EINVAL)
			ret = 0;
		else if (!ret)
			ret = EIO;
	}
	/* Teardown runs only once setup is done: undo it here on failure. */
	if (ret) {
		close_devs(self);
		unwind(self, ignored, sizeof(ignored));
		if (self->unsafe_set)
			write_unsafe("N");
	}
	if (no_bind)
		SKIP(return, "the kernel has no VHOST_VDPA_IOASID_BIND");
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", why, strerror(ret));
}

/* In the parent, after the test's process closed every fd by exiting. */
FIXTURE_TEARDOWN_PARENT(vdpa)
{
	char why[256] = "";
	int ret = unwind(self, why, sizeof(why));

	EXPECT_EQ(0, ret) TH_LOG("%s: %s", why, strerror(ret));
	if (self->unsafe_set)
		EXPECT_EQ(0, write_unsafe("N"))
			TH_LOG("writing N to " UNSAFE_PARAM);
}

/* Lays A's and B's memory out at IOVAs of their own, nothing mapped. */
static void layout_pair(struct __test_metadata *_metadata,
			FIXTURE_DATA(vdpa) *self)
{
	int i;

	for (i = 0; i < 2; i++) {
		ASSERT_LE(vnet_mem_size(&self->dev[i]), IOVA_STRIDE);
		ASSERT_EQ(0, vnet_layout(&self->dev[i], NULL,
					 IOVA_BASE + i * IOVA_STRIDE));
	}
}

static void start_pair(struct __test_metadata *_metadata,
		       FIXTURE_DATA(vdpa) *self)
{
	int i, ret;

	for (i = 0; i < 2; i++) {
		ret = vnet_start(&self->dev[i]);
		ASSERT_EQ(0, ret) TH_LOG("starting %s: %s (status 0x%x)",
					 self->dev[i].path, strerror(ret),
					 vnet_status(&self->dev[i]));
	}
}

/*
 * A new IOASID, of a new /dev/ioasid fd unless one is open; both devices
 * bound to that fd, their memory mapped into the IOASID, attached to it
 * and started.
 */
static void up_on_ioasid(struct __test_metadata *_metadata,
			 FIXTURE_DATA(vdpa) *self)
{
	struct vnet_mapper m;
	uint32_t flags;
	int i, ret;

	if (self->ioasid_fd < 0)
		self->ioasid_fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->ioasid_fd);
	ASSERT_EQ(0, ioasid_alloc(self->ioasid_fd, &self->ioasid));
	vnet_mapper_ioasid(&m, self->ioasid_fd, self->ioasid);
	layout_pair(_metadata, self);
	for (i = 0; i < 2; i++) {
		ret = vnet_ioasid_bind(self->dev[i].fd, self->ioasid_fd);
		ASSERT_EQ(0, ret) TH_LOG("binding %s: %s", self->dev[i].path,
					 strerror(ret));
		ASSERT_EQ(0, vnet_map(&self->dev[i], &m));
		flags = ~0U;
		ret = vnet_ioasid_attach(self->dev[i].fd, 0, self->ioasid,
					 &flags);
		ASSERT_EQ(0, ret) TH_LOG("attaching %s: %s", self->dev[i].path,
					 strerror(ret));
		EXPECT_EQ(0U, flags);
	}
	start_pair(_metadata, self);
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

/*
 * Frame @seq of stream @tag from @tx to @rx, into @f: lengths and bytes
 * differ from frame to frame and from stream to stream.
 */
static size_t make_frame(uint8_t *f, const struct vnet_dev *tx,
			 const struct vnet_dev *rx, uint32_t tag, uint32_t seq)
{
	static const uint8_t broadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff,
					      0xff };
	static const uint8_t local[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	size_t len = 64 + (seq * 97 + tag % 13) % 1400, i;

	memcpy(f, rx->has_mac ? rx->mac : broadcast, 6);
	memcpy(f + 6, tx->has_mac ? tx->mac : local, 6);
	f[12] = ETH_P_IOASID >> 8;
	f[13] = ETH_P_IOASID & 0xff;
	put_be32(f + 14, FRAME_MAGIC);
	put_be32(f + 18, tag);
	put_be32(f + 22, seq);
	for (i = FRAME_HDR; i < len; i++)
		f[i] = (uint8_t)(tag * 31 + seq * 131 + i * 7);
	return len;
}

/* Whether @f is a frame of stream @tag; the hub may bring others. */
static bool is_stream(const uint8_t *f, size_t len, uint32_t tag)
{
	return len >= FRAME_HDR && f[12] == ETH_P_IOASID >> 8 &&
	       f[13] == (ETH_P_IOASID & 0xff) &&
	       get_be32(f + 14) == FRAME_MAGIC && get_be32(f + 18) == tag;
}

/* A tag of this process's own for stream @n. */
static uint32_t stream_tag(unsigned int n)
{
	return (uint32_t)getpid() << 8 | (n & 0xff);
}

/*
 * @n frames of stream @tag from @tx to @rx: every one is received, in
 * order, its length and bytes those sent.
 */
static void exchange(struct __test_metadata *_metadata, struct vnet_dev *tx,
		     struct vnet_dev *rx, uint32_t tag, unsigned int n)
{
	static uint8_t want[VNET_FRAME_MAX], got[VNET_FRAME_MAX];
	unsigned int seq, seen = 0, foreign = 0;
	size_t want_len, got_len;
	uint64_t deadline;
	int ret;

	for (seq = 0; seq < n; seq++) {
		want_len = make_frame(want, tx, rx, tag, seq);
		ret = vnet_send(tx, want, want_len);
		ASSERT_EQ(0, ret) TH_LOG("%s: sending frame %u: %s", tx->path,
					 seq, strerror(ret));
	}
	ret = vnet_tx_wait(tx, TX_WAIT_MS);
	ASSERT_EQ(0, ret)
		TH_LOG("%s: sending %u frames: %s (TX used idx %u, status 0x%x)",
		       tx->path, n, strerror(ret), vnet_used_idx(tx, VNET_TX),
		       vnet_status(tx));

	deadline = now_ms() + RX_WAIT_MS;
	while (seen < n) {
		uint64_t now = now_ms();

		ret = vnet_recv(rx, got, sizeof(got), &got_len,
				deadline > now ? deadline - now : 0);
		ASSERT_EQ(0, ret)
			TH_LOG("%s: %u of %u frames received: %s (RX used idx %u, status 0x%x)",
			       rx->path, seen, n, strerror(ret),
			       vnet_used_idx(rx, VNET_RX), vnet_status(rx));
		if (!is_stream(got, got_len, tag)) {
			foreign++;
			continue;
		}
		want_len = make_frame(want, tx, rx, tag, seen);
		EXPECT_EQ(want_len, got_len)
			TH_LOG("%s: frame %u", rx->path, seen);
		EXPECT_EQ(0, memcmp(want, got, got_len < want_len ?
						   got_len : want_len))
			TH_LOG("%s: frame %u differs from what %s sent (seq %u)",
			       rx->path, seen, tx->path, get_be32(got + 22));
		seen++;
	}
	if (foreign)
		TH_LOG("%s: %u frames of other streams skipped", rx->path,
		       foreign);
}

/* A to B, then B to A. */
static void both_ways(struct __test_metadata *_metadata,
		      FIXTURE_DATA(vdpa) *self, unsigned int stream,
		      unsigned int n)
{
	exchange(_metadata, &self->dev[0], &self->dev[1], stream_tag(stream),
		 n);
	exchange(_metadata, &self->dev[1], &self->dev[0],
		 stream_tag(stream + 1), n);
}

static void expect_no_fault(struct __test_metadata *_metadata,
			    FIXTURE_DATA(vdpa) *self, int kmsg)
{
	char seen[2048];

	EXPECT_FALSE(kmsg_find_fault(kmsg, self->target, seen, sizeof(seen)))
		TH_LOG("the IOMMU logged: %s", seen);
	if (kmsg >= 0)
		close(kmsg);
}

TEST_F_TIMEOUT(vdpa, ioasid_exchange, 180)
{
	int kmsg = kmsg_open();

	up_on_ioasid(_metadata, self);
	both_ways(_metadata, self, 0, NFRAMES);
	expect_no_fault(_metadata, self, kmsg);
}

/* Never bound, the fds work as they always did, through the vhost IOTLB. */
TEST_F_TIMEOUT(vdpa, stock_iotlb_exchange, 180)
{
	struct vnet_mapper m;
	int kmsg = kmsg_open();
	int i, ret;

	layout_pair(_metadata, self);
	for (i = 0; i < 2; i++) {
		vnet_mapper_iotlb(&m, self->dev[i].fd);
		ret = vnet_map(&self->dev[i], &m);
		ASSERT_EQ(0, ret) TH_LOG("IOTLB updates of %s: %s",
					 self->dev[i].path, strerror(ret));
	}
	start_pair(_metadata, self);
	both_ways(_metadata, self, 0, NFRAMES);
	expect_no_fault(_metadata, self, kmsg);
}

TEST_F_TIMEOUT(vdpa, bind_rules, 120)
{
	struct {
		struct vhost_vdpa_ioasid_bind cmd;
		uint32_t tail[2];
	} bind;
	struct {
		struct vhost_vdpa_ioasid_attach cmd;
		uint32_t tail[2];
	} attach;
	struct {
		struct vhost_vdpa_ioasid_detach cmd;
		uint32_t tail[2];
	} detach;
	int a = self->dev[0].fd, b = self->dev[1].fd, fd, other_fd;
	size_t page = sysconf(_SC_PAGESIZE);
	uint32_t id, gone, flags;
	uint8_t *buf;

	buf = alloc_buf(page, 0, true);
	ASSERT_NE(NULL, buf);
	fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioasid_alloc(fd, &id));

	/* Unbound, there is nothing to attach or detach. */
	EXPECT_EQ(EBADFD, vnet_ioasid_attach(a, 0, id, NULL));
	EXPECT_EQ(EBADFD, vnet_ioasid_detach(a, 0));

	/* The argument's rules; none of these binds. */
	memset(&bind, 0, sizeof(bind));
	bind.cmd.argsz = sizeof(bind.cmd);
	bind.cmd.ioasid_fd = fd;
	bind.cmd.flags = 1;
	EXPECT_EQ(EINVAL, vioctl(a, VHOST_VDPA_IOASID_BIND, &bind));
	bind.cmd.flags = 1U << 31;
	EXPECT_EQ(EINVAL, vioctl(a, VHOST_VDPA_IOASID_BIND, &bind));
	bind.cmd.flags = 0;
	bind.cmd.__reserved = 1;
	EXPECT_EQ(EINVAL, vioctl(a, VHOST_VDPA_IOASID_BIND, &bind));
	bind.cmd.__reserved = 0;
	bind.cmd.argsz = offsetof(struct vhost_vdpa_ioasid_bind, __reserved);
	EXPECT_EQ(EINVAL, vioctl(a, VHOST_VDPA_IOASID_BIND, &bind));
	bind.cmd.argsz = sizeof(bind);
	bind.tail[1] = 1;
	EXPECT_EQ(E2BIG, vioctl(a, VHOST_VDPA_IOASID_BIND, &bind));
	bind.tail[1] = 0;
	bind.cmd.ioasid_fd = -1;
	EXPECT_EQ(EBADF, vioctl(a, VHOST_VDPA_IOASID_BIND, &bind));
	bind.cmd.ioasid_fd = fd;
	EXPECT_EQ(EBADFD, vnet_ioasid_detach(a, 0));

	/* The vhost IOTLB works unbound, and a mapping in it refuses a bind. */
	ASSERT_EQ(0, vnet_iotlb_update(a, IOVA_BASE, page, buf));
	EXPECT_EQ(EBUSY, vnet_ioasid_bind(a, fd));
	ASSERT_EQ(0, vnet_iotlb_invalidate(a, IOVA_BASE, page));

	/* A zero tail is no obstacle: this binds. */
	ASSERT_EQ(0, vioctl(a, VHOST_VDPA_IOASID_BIND, &bind));
	EXPECT_EQ(EBUSY, vnet_ioasid_bind(a, fd));
	other_fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, other_fd);
	EXPECT_EQ(EBUSY, vnet_ioasid_bind(a, other_fd));
	close(other_fd);

	/* Bound, the IOTLB is closed; B, unbound, still has its own. */
	EXPECT_EQ(EPERM, vnet_iotlb_update(a, IOVA_BASE, page, buf));
	EXPECT_EQ(EPERM, vnet_iotlb_invalidate(a, IOVA_BASE, page));
	EXPECT_EQ(0, vnet_iotlb_update(b, IOVA_BASE, page, buf));
	EXPECT_EQ(0, vnet_iotlb_invalidate(b, IOVA_BASE, page));

	/* Attach and detach: the address space and the IOASID. */
	EXPECT_EQ(ENOENT, vnet_ioasid_detach(a, 0));
	EXPECT_EQ(EINVAL, vnet_ioasid_attach(a, 1, id, NULL));
	EXPECT_EQ(EINVAL, vnet_ioasid_detach(a, 1));
	ASSERT_EQ(0, ioasid_alloc(fd, &gone));
	ASSERT_EQ(0, ioasid_destroy(fd, gone));
	EXPECT_EQ(ENOENT, vnet_ioasid_attach(a, 0, gone, NULL));

	/* ... and their arguments' rules. */
	memset(&attach, 0, sizeof(attach));
	attach.cmd.argsz = sizeof(attach.cmd);
	attach.cmd.ioasid = id;
	attach.cmd.flags = 1;
	EXPECT_EQ(EINVAL, vioctl(a, VHOST_VDPA_IOASID_ATTACH, &attach));
	attach.cmd.flags = 0;
	attach.cmd.__reserved = 1;
	EXPECT_EQ(EINVAL, vioctl(a, VHOST_VDPA_IOASID_ATTACH, &attach));
	attach.cmd.__reserved = 0;
	attach.cmd.argsz = offsetof(struct vhost_vdpa_ioasid_attach,
				    __reserved);
	EXPECT_EQ(EINVAL, vioctl(a, VHOST_VDPA_IOASID_ATTACH, &attach));
	attach.cmd.argsz = sizeof(attach);
	attach.tail[0] = 1;
	EXPECT_EQ(E2BIG, vioctl(a, VHOST_VDPA_IOASID_ATTACH, &attach));
	attach.tail[0] = 0;
	EXPECT_EQ(ENOENT, vnet_ioasid_detach(a, 0));

	memset(&detach, 0, sizeof(detach));
	detach.cmd.argsz = sizeof(detach.cmd);
	detach.cmd.flags = 1;
	EXPECT_EQ(EINVAL, vioctl(a, VHOST_VDPA_IOASID_DETACH, &detach));
	detach.cmd.flags = 0;
	detach.cmd.argsz = offsetof(struct vhost_vdpa_ioasid_detach,
				    __reserved);
	EXPECT_EQ(EINVAL, vioctl(a, VHOST_VDPA_IOASID_DETACH, &detach));
	detach.cmd.argsz = sizeof(detach);
	detach.tail[1] = 1;
	EXPECT_EQ(E2BIG, vioctl(a, VHOST_VDPA_IOASID_DETACH, &detach));

	/* Attached with a zero tail, before DRIVER_OK, to nothing before. */
	attach.cmd.out_flags = ~0U;
	ASSERT_EQ(0, vioctl(a, VHOST_VDPA_IOASID_ATTACH, &attach));
	EXPECT_EQ(0U, attach.cmd.out_flags);
	/* An attached IOASID is busy. */
	EXPECT_EQ(EBUSY, ioasid_destroy(fd, id));
	detach.tail[1] = 0;
	EXPECT_EQ(0, vioctl(a, VHOST_VDPA_IOASID_DETACH, &detach));
	EXPECT_EQ(ENOENT, vnet_ioasid_detach(a, 0));
	EXPECT_EQ(0, ioasid_destroy(fd, id));

	/* Detached, it attaches again. */
	ASSERT_EQ(0, ioasid_alloc(fd, &id));
	flags = ~0U;
	EXPECT_EQ(0, vnet_ioasid_attach(a, 0, id, &flags));
	EXPECT_EQ(0U, flags);
	close(fd);
	munmap(buf, page);
}

/*
 * B's address space moves, while B runs, to an IOASID that maps the same
 * IOVAs, rings and TX buffers to the same pages but RX buffers to others:
 * the next frame lands there and not in the first IOASID's pages.
 */
TEST_F_TIMEOUT(vdpa, move_while_running, 180)
{
	static uint8_t want[VNET_FRAME_MAX];
	struct vnet_dev *a = &self->dev[0], *b = &self->dev[1];
	const struct vnet_region *rx, *rings, *tx;
	uint32_t other, flags, tag = stream_tag(9);
	size_t want_len, off;
	struct vnet_rx got;
	uint8_t *other_rx;
	int kmsg, ret;

	up_on_ioasid(_metadata, self);
	both_ways(_metadata, self, 0, 2);
	rx = vnet_region(b, VNET_REGION_RX);
	rings = vnet_region(b, VNET_REGION_RINGS);
	tx = vnet_region(b, VNET_REGION_TX);
	other_rx = alloc_buf(rx->len, OTHER_POISON, true);
	ASSERT_NE(NULL, other_rx);

	ASSERT_EQ(0, ioasid_alloc(self->ioasid_fd, &other));
	ASSERT_EQ(0, map_fixed(self->ioasid_fd, other, rings->va, rings->len,
			       rings->iova));
	ASSERT_EQ(0, map_fixed(self->ioasid_fd, other, other_rx, rx->len,
			       rx->iova));
	ASSERT_EQ(0, map_fixed(self->ioasid_fd, other, tx->va, tx->len,
			       tx->iova));
	/* Posted, not used: nothing writes these until a frame comes. */
	memset(rx->va, POISON, rx->len);

	kmsg = kmsg_open();
	flags = 0;
	ASSERT_EQ(0, vnet_ioasid_attach(b->fd, 0, other, &flags));
	EXPECT_EQ(VHOST_VDPA_IOASID_MOVED | VHOST_VDPA_IOASID_RUNNING, flags);

	want_len = make_frame(want, a, b, tag, 0);
	ASSERT_EQ(0, vnet_send(a, want, want_len));
	ASSERT_EQ(0, vnet_tx_wait(a, TX_WAIT_MS));
	ret = vnet_rx_wait(b, &got, RX_WAIT_MS);
	ASSERT_EQ(0, ret) TH_LOG("B after the move: %s (status 0x%x)",
				 strerror(ret), vnet_status(b));
	ASSERT_EQ(VNET_HDR_LEN + want_len, got.len);
	off = got.buf - rx->va;
	EXPECT_EQ(0, memcmp(other_rx + off + VNET_HDR_LEN, want, want_len))
		TH_LOG("the frame is not in the new IOASID's buffer");
	EXPECT_TRUE(all_bytes(rx->va, rx->len, POISON))
		TH_LOG("the first IOASID's RX buffers were written to");
	expect_no_fault(_metadata, self, kmsg);

	/* The first IOASID lost B: only A keeps it busy. */
	EXPECT_EQ(EBUSY, ioasid_destroy(self->ioasid_fd, self->ioasid));
	EXPECT_EQ(EBUSY, ioasid_destroy(self->ioasid_fd, other));
}

/*
 * With B's RX buffers unmapped, and its rings still mapped, a frame from
 * A reaches none of B's memory: B's used index stays, its buffers keep
 * their poison, and the IOMMU logs the fault.
 */
TEST_F_TIMEOUT(vdpa, unmap_blocks_dma, 180)
{
	static uint8_t want[VNET_FRAME_MAX];
	struct vnet_dev *a = &self->dev[0], *b = &self->dev[1];
	const struct vnet_region *rx;
	struct vnet_rx got = { 0 };
	uint64_t out = 0;
	uint16_t used;
	char seen[2048];
	size_t want_len;
	int kmsg, ret;

	up_on_ioasid(_metadata, self);
	both_ways(_metadata, self, 0, NFRAMES);

	rx = vnet_region(b, VNET_REGION_RX);
	ASSERT_EQ(0, unmap_range(self->ioasid_fd, self->ioasid, rx->iova,
				 rx->len, &out));
	EXPECT_EQ(rx->len, out);
	memset(rx->va, POISON, rx->len);
	used = vnet_used_idx(b, VNET_RX);

	kmsg = kmsg_open();
	want_len = make_frame(want, a, b, stream_tag(9), 0);
	ASSERT_EQ(0, vnet_send(a, want, want_len));
	EXPECT_EQ(0, vnet_tx_wait(a, TX_WAIT_MS));
	/*
	 * QEMU 7.2's virtio-net returns the buffer as used, with the frame's
	 * length, although its write faulted: only the memory tells.
	 */
	ret = vnet_rx_wait(b, &got, BLOCKED_WAIT_MS);
	TH_LOG("B's RX used index %u -> %u: %s", used,
	       vnet_used_idx(b, VNET_RX),
	       ret ? strerror(ret) : "the device returned a buffer");
	EXPECT_TRUE(all_bytes(rx->va, rx->len, POISON))
		TH_LOG("B's unmapped RX buffers were written to");
	EXPECT_TRUE(kmsg_find_fault(kmsg, self->target, seen, sizeof(seen)))
		TH_LOG("no IOMMU fault recognised in the kernel log: %s", seen);
	if (kmsg >= 0)
		close(kmsg);
}

/*
 * The page table VT-d walks for @dev's requester ID, from the intel-iommu
 * debugfs ("Device ... with pasid 0 @0x..."): 0 when there is none.
 */
static uint64_t vtd_table_of(const char *dev)
{
	char path[128], line[256];
	uint64_t pgd = 0;
	const char *at;
	FILE *f;

	snprintf(path, sizeof(path),
		 "/sys/kernel/debug/iommu/intel/%s/domain_translation_struct",
		 dev);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (!pgd && fgets(line, sizeof(line), f)) {
		at = strstr(line, " @0x");
		if (!strncmp(line, "Device ", 7) && at)
			pgd = strtoull(at + 2, NULL, 16);
	}
	fclose(f);
	return pgd;
}

/*
 * edu through VFIO and the two vDPA devices, in one IOASID of one fd:
 * fdinfo shows the three attached through one page table, on VT-d its
 * debugfs shows the IOMMU walking one table for the three, and the
 * frames still go through.
 */
TEST_F_TIMEOUT(vdpa, one_table_with_vfio, 180)
{
	const struct view_device *dev[3];
	struct view_fdinfo fi;
	char edu[32], cdev[64];
	const char *names[3];
	int edu_fd, i;
	bool bound;

	if (edu_find(edu, sizeof(edu)))
		SKIP(return, "no edu device (" EDU_ID ") on the PCI bus");
	ASSERT_EQ(0, edu_bind_vfio(edu, &bound, cdev, sizeof(cdev)));
	up_on_ioasid(_metadata, self);
	edu_fd = open(cdev, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, edu_fd);
	ASSERT_EQ(0, vfio_bind(edu_fd, self->ioasid_fd));
	ASSERT_EQ(0, vfio_attach(edu_fd, self->ioasid));

	ASSERT_EQ(0, fdinfo_read(getpid(), self->ioasid_fd, &fi));
	names[0] = edu;
	names[1] = self->pci[0];
	names[2] = self->pci[1];
	for (i = 0; i < 3; i++) {
		dev[i] = fdinfo_device(&fi, names[i]);
		ASSERT_NE(NULL, dev[i]) TH_LOG("no fdinfo line of %s", names[i]);
		EXPECT_TRUE(dev[i]->attached);
		EXPECT_EQ(self->ioasid, dev[i]->ioas);
		EXPECT_EQ(dev[0]->table, dev[i]->table)
			TH_LOG("%s is attached through table %u, edu through %u",
			       names[i], dev[i]->table, dev[0]->table);
	}
	EXPECT_EQ(1U, fdinfo_ioas(&fi, self->ioasid)->tables);
	fdinfo_free(&fi);
	/* And VT-d itself walks one table for the three. */
	if (self->target == TARGET_VTD) {
		uint64_t pgd = vtd_table_of(edu);

		ASSERT_NE(0ULL, pgd) TH_LOG("no table of %s in the intel-iommu debugfs",
					    edu);
		for (i = 1; i < 3; i++) {
			const char *name = names[i];

			EXPECT_EQ(pgd, vtd_table_of(name))
				TH_LOG("VT-d walks another table for %s", name);
		}
		TH_LOG("VT-d walks the table at %#llx for edu and both functions",
		       (unsigned long long)pgd);
	}
	both_ways(_metadata, self, 0, 2);
	EXPECT_EQ(0, vfio_detach(edu_fd));
	close(edu_fd);
}

/* Reopens both vhost-vdpa fds, closed, and brings them up on /dev/ioasid. */
static void again(struct __test_metadata *_metadata, FIXTURE_DATA(vdpa) *self,
		  unsigned int stream)
{
	char why[256];
	int i, ret;

	for (i = 0; i < 2; i++) {
		ret = open_dev(self, i, why, sizeof(why));
		ASSERT_EQ(0, ret) TH_LOG("%s: %s", why, strerror(ret));
	}
	up_on_ioasid(_metadata, self);
	both_ways(_metadata, self, stream, 1);
}

TEST_F_TIMEOUT(vdpa, close_ioasid_fd_first, 180)
{
	static uint8_t want[VNET_FRAME_MAX];
	struct vnet_rx got;
	size_t want_len;
	int ret;

	up_on_ioasid(_metadata, self);
	both_ways(_metadata, self, 0, 1);
	/* The next bindings are to a new fd. */
	ASSERT_EQ(0, close(self->ioasid_fd));
	self->ioasid_fd = -1;

	/* The bindings keep the context and its IOASID: traffic goes on. */
	want_len = make_frame(want, &self->dev[0], &self->dev[1],
			      stream_tag(2), 0);
	ret = vnet_send(&self->dev[0], want, want_len);
	if (!ret)
		ret = vnet_rx_wait(&self->dev[1], &got, RX_WAIT_MS);
	EXPECT_EQ(0, ret) TH_LOG("/dev/ioasid closed first, a frame from A to B: %s",
				 strerror(ret));

	close_devs(self);
	again(_metadata, self, 4);
}

TEST_F_TIMEOUT(vdpa, close_vhost_fd_first, 180)
{
	up_on_ioasid(_metadata, self);
	both_ways(_metadata, self, 0, 1);
	close_devs(self);
	/* Closing unbound and detached both: the IOASID is idle. */
	EXPECT_EQ(0, ioasid_destroy(self->ioasid_fd, self->ioasid));
	/* The /dev/ioasid fd outlives them and takes new bindings. */
	again(_metadata, self, 2);
}

/* Takes B's function from vp_vdpa through sysfs, as an admin would. */
static int unbind_from_vp_vdpa(const char *pci)
{
	int fd = open("/sys/bus/pci/drivers/vp-vdpa/unbind", O_WRONLY);
	int ret = 0;

	if (fd < 0)
		return errno;
	if (write(fd, pci, strlen(pci)) < 0)
		ret = errno;
	close(fd);
	return ret;
}

/*
 * B's vDPA device deleted through netlink, or its function taken from
 * vp_vdpa, while B is attached: the removal waits for B's vhost-vdpa fd
 * to be closed, traffic goes on meanwhile, and once it is closed the
 * removal completes and the IOASID holds no device of B's.
 */
static void remove_while_attached(struct __test_metadata *_metadata,
				  FIXTURE_DATA(vdpa) *self, bool unbind)
{
	int status = 0;
	pid_t child;

	up_on_ioasid(_metadata, self);
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		/* Its copies would keep the files open that it waits for. */
		close(self->dev[0].fd);
		close(self->dev[1].fd);
		_exit(unbind ? unbind_from_vp_vdpa(self->pci[1]) :
			       vdpa_dev_del(self->name[1], NULL, 0));
	}
	usleep(500 * 1000);
	EXPECT_EQ(0, waitpid(child, &status, WNOHANG))
		TH_LOG("the removal did not wait for the open vhost-vdpa fd");
	both_ways(_metadata, self, 0, 1);

	vnet_close(&self->dev[1]);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("the removal ended with status %#x", status);
	vnet_close(&self->dev[0]);
	EXPECT_EQ(0, ioasid_destroy(self->ioasid_fd, self->ioasid));
}

TEST_F_TIMEOUT(vdpa, deleted_while_attached, 180)
{
	remove_while_attached(_metadata, self, false);
}

TEST_F_TIMEOUT(vdpa, unbound_while_attached, 180)
{
	remove_while_attached(_metadata, self, true);
}

/*
 * vdpa_sim_net translates for itself and loops what it sends back to its
 * own RX queue.  With use_va=0 (the harness's command line) it takes
 * IOVAs: bound to /dev/ioasid it is given the IOASID's mappings, pinned,
 * and loses them again when they are unmapped.
 */
FIXTURE(vdpa_sim) {
	struct vnet_dev dev;
	int ioasid_fd;
	uint32_t ioasid;
	struct vnet_mapper m;
};

FIXTURE_SETUP(vdpa_sim)
{
	char why[256] = "", path[64], use_va[8] = "";
	FILE *f;
	int ret;

	vnet_init(&self->dev);
	self->ioasid_fd = -1;
	if (geteuid())
		SKIP(return, "creating vDPA devices needs root");
	if (access("/sys/bus/vdpa/drivers/vhost_vdpa", F_OK))
		SKIP(return, "no vhost_vdpa driver (CONFIG_VHOST_VDPA)");
	if (access("/dev/ioasid", F_OK))
		SKIP(return, "no /dev/ioasid");
	f = fopen(SIM_USE_VA, "r");
	if (f) {
		if (!fgets(use_va, sizeof(use_va), f))
			use_va[0] = 0;
		fclose(f);
	}
	if (use_va[0] == 'Y')
		SKIP(return, "vdpa_sim takes user addresses (boot with vdpa_sim.use_va=0)");

	vdpa_dev_del(SIM_DEV, NULL, 0);
	ret = vdpa_dev_add(NULL, "vdpasim_net", SIM_DEV, why, sizeof(why));
	if (ret == ENODEV || ret == ENOENT)
		SKIP(return, "no vdpasim_net management device (CONFIG_VDPA_SIM_NET)");
	ASSERT_EQ(0, ret) TH_LOG("creating %s: %s %s", SIM_DEV, strerror(ret),
				 why);
	ret = vhost_vdpa_path(SIM_DEV, path, sizeof(path));
	if (!ret)
		ret = vnet_open(&self->dev, path);
	if (!ret) {
		ret = probe_bind(self->dev.fd);
		if (ret == ENOTTY || ret == ENOBUFS) {
			vnet_close(&self->dev);
			vdpa_dev_del(SIM_DEV, NULL, 0);
			SKIP(return, "the kernel has no VHOST_VDPA_IOASID_BIND");
		}
		ret = ret == EINVAL ? 0 : EIO;
	}
	if (ret) {
		vnet_close(&self->dev);
		vdpa_dev_del(SIM_DEV, NULL, 0);
	}
	ASSERT_EQ(0, ret) TH_LOG("opening the vhost-vdpa of %s: %s", SIM_DEV,
				 strerror(ret));
	self->ioasid_fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->ioasid_fd);
	ASSERT_EQ(0, ioasid_alloc(self->ioasid_fd, &self->ioasid));
	vnet_mapper_ioasid(&self->m, self->ioasid_fd, self->ioasid);
	ASSERT_EQ(0, vnet_layout(&self->dev, NULL, IOVA_BASE));
	ret = vnet_ioasid_bind(self->dev.fd, self->ioasid_fd);
	ASSERT_EQ(0, ret) TH_LOG("binding %s: %s", self->dev.path,
				 strerror(ret));
}

FIXTURE_TEARDOWN_PARENT(vdpa_sim)
{
	char why[256] = "";
	int ret = vdpa_dev_del(SIM_DEV, why, sizeof(why));

	EXPECT_EQ(0, ret) TH_LOG("deleting %s: %s %s", SIM_DEV,
				 strerror(ret), why);
}

static void map_region(struct __test_metadata *_metadata,
		       FIXTURE_DATA(vdpa_sim) *self, int region)
{
	const struct vnet_region *r = vnet_region(&self->dev, region);

	ASSERT_EQ(0, self->m.map(&self->m, r->va, r->iova, r->len));
}

static void sim_attach(struct __test_metadata *_metadata,
		       FIXTURE_DATA(vdpa_sim) *self, uint32_t ioasid,
		       uint32_t want_flags)
{
	uint32_t flags = ~0U;
	int ret = vnet_ioasid_attach(self->dev.fd, 0, ioasid, &flags);

	ASSERT_EQ(0, ret) TH_LOG("attaching %s: %s", self->dev.path,
				 strerror(ret));
	EXPECT_EQ(want_flags, flags);
}

static void sim_start(struct __test_metadata *_metadata,
		      FIXTURE_DATA(vdpa_sim) *self)
{
	int ret = vnet_start(&self->dev);

	ASSERT_EQ(0, ret) TH_LOG("starting %s: %s (status 0x%x)",
				 self->dev.path, strerror(ret),
				 vnet_status(&self->dev));
}

/*
 * The rings are mapped before the attach and the buffers after it: the
 * parent is given both, and loops every frame back whole.
 */
TEST_F_TIMEOUT(vdpa_sim, loopback, 120)
{
	map_region(_metadata, self, VNET_REGION_RINGS);
	sim_attach(_metadata, self, self->ioasid, 0);
	map_region(_metadata, self, VNET_REGION_RX);
	map_region(_metadata, self, VNET_REGION_TX);
	sim_start(_metadata, self);
	exchange(_metadata, &self->dev, &self->dev, stream_tag(0), NFRAMES);
}

/* Until attached, the parent reaches nothing: not even its rings. */
TEST_F_TIMEOUT(vdpa_sim, nothing_before_attach, 120)
{
	static uint8_t want[VNET_FRAME_MAX];
	struct vnet_rx got;
	size_t len;

	ASSERT_EQ(0, vnet_map(&self->dev, &self->m));
	sim_start(_metadata, self);
	len = make_frame(want, &self->dev, &self->dev, stream_tag(1), 0);
	ASSERT_EQ(0, vnet_send(&self->dev, want, len));
	EXPECT_EQ(ETIMEDOUT, vnet_tx_wait(&self->dev, BLOCKED_WAIT_MS));
	/* The wait for the TX buffer gave RX its time too. */
	EXPECT_EQ(ETIMEDOUT, vnet_rx_wait(&self->dev, &got, 0));
}

/*
 * An unmap takes the RX buffers away from the parent before it returns:
 * the next frame is not written there.  The pins the parent held do not
 * make the unmap fail.
 */
TEST_F_TIMEOUT(vdpa_sim, unmap_takes_pages, 120)
{
	static uint8_t want[VNET_FRAME_MAX];
	const struct vnet_region *rx = vnet_region(&self->dev, VNET_REGION_RX);
	struct vnet_rx got = { 0 };
	uint64_t out = 0;
	uint16_t used;
	size_t len;
	int ret;

	ASSERT_EQ(0, vnet_map(&self->dev, &self->m));
	sim_attach(_metadata, self, self->ioasid, 0);
	sim_start(_metadata, self);
	exchange(_metadata, &self->dev, &self->dev, stream_tag(2), 2);

	ASSERT_EQ(0, unmap_range(self->ioasid_fd, self->ioasid, rx->iova,
				 rx->len, &out));
	EXPECT_EQ(rx->len, out);
	memset(rx->va, POISON, rx->len);
	used = vnet_used_idx(&self->dev, VNET_RX);
	len = make_frame(want, &self->dev, &self->dev, stream_tag(3), 0);
	ASSERT_EQ(0, vnet_send(&self->dev, want, len));
	ret = vnet_rx_wait(&self->dev, &got, BLOCKED_WAIT_MS);
	EXPECT_EQ(ETIMEDOUT, ret) TH_LOG("used buffer %u, %u bytes", got.id,
					 got.len);
	EXPECT_EQ(used, vnet_used_idx(&self->dev, VNET_RX));
	EXPECT_TRUE(all_bytes(rx->va, rx->len, POISON))
		TH_LOG("the unmapped RX buffers were written to");
}

/*
 * Moving to an IOASID that maps the RX buffers' IOVAs to other memory,
 * while running: the next frame lands there.  A device reset keeps the
 * attachment and the mappings.
 */
TEST_F_TIMEOUT(vdpa_sim, move_and_reset, 120)
{
	const struct vnet_region *rx = vnet_region(&self->dev, VNET_REGION_RX);
	const struct vnet_region *rings, *tx;
	struct vnet_mapper other;
	uint8_t *rx1 = rx->va, *rx2;
	uint64_t rx_len = rx->len;
	uint32_t second;

	ASSERT_EQ(0, vnet_map(&self->dev, &self->m));
	sim_attach(_metadata, self, self->ioasid, 0);
	sim_start(_metadata, self);
	exchange(_metadata, &self->dev, &self->dev, stream_tag(4), 1);

	rings = vnet_region(&self->dev, VNET_REGION_RINGS);
	tx = vnet_region(&self->dev, VNET_REGION_TX);
	rx2 = mmap(NULL, rx->len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, rx2);
	memset(rx2, OTHER_POISON, rx->len);
	ASSERT_EQ(0, ioasid_alloc(self->ioasid_fd, &second));
	vnet_mapper_ioasid(&other, self->ioasid_fd, second);
	ASSERT_EQ(0, other.map(&other, rings->va, rings->iova, rings->len));
	ASSERT_EQ(0, other.map(&other, tx->va, tx->iova, tx->len));
	ASSERT_EQ(0, other.map(&other, rx2, rx->iova, rx->len));

	memset(rx1, POISON, rx_len);
	sim_attach(_metadata, self, second,
		   VHOST_VDPA_IOASID_MOVED | VHOST_VDPA_IOASID_RUNNING);
	EXPECT_EQ(EBUSY, ioasid_destroy(self->ioasid_fd, second));
	EXPECT_EQ(0, ioasid_destroy(self->ioasid_fd, self->ioasid))
		TH_LOG("the IOASID moved away from is still held");
	self->ioasid = second;
	/* What the device writes is read from the second IOASID's memory. */
	self->dev.region[VNET_REGION_RX].va = rx2;
	self->dev.vq[VNET_RX].bufs = rx2;
	exchange(_metadata, &self->dev, &self->dev, stream_tag(5), 2);
	EXPECT_TRUE(all_bytes(rx1, rx_len, POISON))
		TH_LOG("a frame reached the first IOASID's RX buffers");

	/* Reset and start again: the mappings are still the parent's. */
	ASSERT_EQ(0, vnet_reset(&self->dev));
	sim_start(_metadata, self);
	exchange(_metadata, &self->dev, &self->dev, stream_tag(6), 2);
}

/*
 * Attaching to the IOASID attached already lets the parent go of its
 * pins and gives it the mappings again: traffic goes on.
 */
TEST_F_TIMEOUT(vdpa_sim, reattach_same, 120)
{
	ASSERT_EQ(0, vnet_map(&self->dev, &self->m));
	sim_attach(_metadata, self, self->ioasid, 0);
	sim_start(_metadata, self);
	exchange(_metadata, &self->dev, &self->dev, stream_tag(8), 1);
	sim_attach(_metadata, self, self->ioasid,
		   VHOST_VDPA_IOASID_MOVED | VHOST_VDPA_IOASID_RUNNING);
	exchange(_metadata, &self->dev, &self->dev, stream_tag(9), 2);
}

/* vdpa_sim_net has two address spaces; each attaches on its own. */
TEST_F(vdpa_sim, address_spaces)
{
	uint32_t n = 0, second;

	ASSERT_EQ(0, vioctl(self->dev.fd, VHOST_VDPA_GET_AS_NUM, &n));
	ASSERT_EQ(2U, n);
	ASSERT_EQ(0, ioasid_alloc(self->ioasid_fd, &second));
	EXPECT_EQ(0, vnet_ioasid_attach(self->dev.fd, 1, second, NULL));
	EXPECT_EQ(EINVAL, vnet_ioasid_attach(self->dev.fd, 2, second, NULL));
	EXPECT_EQ(ENOENT, vnet_ioasid_detach(self->dev.fd, 0));
	EXPECT_EQ(EBUSY, ioasid_destroy(self->ioasid_fd, second));
	EXPECT_EQ(0, vnet_ioasid_detach(self->dev.fd, 1));
	EXPECT_EQ(0, ioasid_destroy(self->ioasid_fd, second));
}

/* Either fd may be closed first; the mappings were pinned once. */
TEST_F_TIMEOUT(vdpa_sim, close_orders, 120)
{
	ASSERT_EQ(0, vnet_map(&self->dev, &self->m));
	sim_attach(_metadata, self, self->ioasid, 0);
	sim_start(_metadata, self);
	/* The binding keeps the IOASID: the device runs on. */
	ASSERT_EQ(0, close(self->ioasid_fd));
	self->ioasid_fd = -1;
	exchange(_metadata, &self->dev, &self->dev, stream_tag(7), 2);
	vnet_close(&self->dev);
}

TEST_HARNESS_MAIN
