// SPDX-License-Identifier: GPL-2.0-only
/*
 * ioasid-demo: uses /dev/ioasid the way a VMM or a userspace driver does,
 * saying in one line what each step did.  A short walk through the uAPI
 * comes first.  Then QEMU's edu DMA device is bound to vfio-pci, its VFIO
 * cdev bound to /dev/ioasid and attached to an IOASID, and edu copies
 * memory through the IOMMU: the demo checks where the data lands, that an
 * unmapped page stays untouched, and that moving the device to another
 * IOASID moves its DMA with it.  Beside edu, in the same IOASID, two
 * virtio-net functions given to vp_vdpa send a frame from one to the
 * other through vhost-vdpa, and all three devices translate through one
 * page table.  While they are attached, the demo runs ioasid-stat on
 * itself, when it finds it, to show what the kernel reports of its
 * /dev/ioasid fd.  The device part needs the VT-d target
 * (ioasid_iommu=dmar), root and an edu device; without them it says why it
 * is skipped.
 *
 * The last line is the verdict; the exit status is 0 only when every step
 * behaved as expected.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/compiler.h>
#include <linux/ioasid.h>

#include "edu_vfio.h"
#include "ioasid_utils.h"
#include "ioasid_views.h"
#include "vdpa_net.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* edu's DMA addresses have 28 bits: both IOVAs are far below 256 MiB. */
#define SRC_IOVA	0x100000ULL
#define DST_IOVA	0x200000ULL
#define POISON		0x5a
#define STAT_NAME	"ioasid-stat"
/* Where the vDPA devices' rings and buffers go in A, clear of edu's. */
#define VNET_IOVA	0x4000000ULL
#define VNET_STRIDE	0x1000000ULL
#define VNET_FRAME_LEN	128

static const char *const ioctl_names[] = {
	[IOASID_CMD_GET_INFO] = "GET_INFO",
	[IOASID_CMD_DESTROY] = "DESTROY",
	[IOASID_CMD_ALLOC] = "ALLOC",
	[IOASID_CMD_IOVA_RANGES] = "IOVA_RANGES",
	[IOASID_CMD_SET_ALLOWED_RANGES] = "SET_ALLOWED_RANGES",
	[IOASID_CMD_MAP] = "MAP",
	[IOASID_CMD_UNMAP] = "UNMAP",
	[IOASID_CMD_COPY] = "COPY",
	[IOASID_CMD_OPTION] = "OPTION",
	/* IOASID_TEST of ioasid_test.h, present with CONFIG_DEV_IOASID_TEST */
	[0x3f] = "TEST",
};

static const char source_text[] =
	"Hello from RAM: these bytes crossed the IOMMU twice. ";

static int failures;

/* One step that went as expected. */
static __printf(1, 2) void say(const char *fmt, ...)
{
	va_list ap;

	printf("  ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* One step that did not: what was being done, and @err if not 0. */
static __printf(2, 3) bool fail(int err, const char *fmt, ...)
{
	va_list ap;

	printf("  FAILED: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (err)
		printf(": %s", strerror(err));
	printf("\n");
	failures++;
	return false;
}

/* The usable IOVA ranges of @id as text, and the IOVA alignment. */
static int ioasid_ranges(int fd, uint32_t id, char *buf, size_t len,
			 uint64_t *align)
{
	struct ioasid_iova_range ranges[8];
	struct ioasid_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioasid = id,
		.num_ranges = ARRAY_SIZE(ranges),
		.ranges = (uintptr_t)ranges,
	};
	size_t used = 0;
	unsigned int i;

	if (ioctl(fd, IOASID_IOVA_RANGES, &cmd))
		return errno;
	buf[0] = 0;
	for (i = 0; i < cmd.num_ranges && used + 1 < len; i++)
		used += snprintf(buf + used, len - used, "%s0x%llx-0x%llx",
				 i ? ", " : "",
				 (unsigned long long)ranges[i].start,
				 (unsigned long long)ranges[i].last);
	*align = cmd.out_iova_alignment;
	return 0;
}

static void show_info(int fd)
{
	struct ioasid_info info = { .size = sizeof(info) };
	char names[256] = "";
	size_t used = 0;
	unsigned int nr;

	if (ioctl(fd, IOASID_GET_INFO, &info)) {
		fail(errno, "IOASID_GET_INFO");
		return;
	}
	for (nr = 0; nr < 64 && used + 1 < sizeof(names); nr++) {
		if (!(info.ioctls & (1ULL << nr)))
			continue;
		if (nr < ARRAY_SIZE(ioctl_names) && ioctl_names[nr])
			used += snprintf(names + used, sizeof(names) - used,
					 " %s", ioctl_names[nr]);
		else
			used += snprintf(names + used, sizeof(names) - used,
					 " #%u", nr);
	}
	say("IOASID_GET_INFO: API version %u, features 0x%llx, ioctls:%s",
	    info.api_version, (unsigned long long)info.features, names);
}

/* A newer caller's struct is accepted only if what it adds is zero. */
static void show_size_convention(int fd)
{
	struct {
		struct ioasid_info info;
		unsigned char newer_field;
	} future = { .info.size = sizeof(future), .newer_field = 1 };
	int ret, err;

	ret = ioctl(fd, IOASID_GET_INFO, &future);
	err = ret ? errno : 0;
	if (err != E2BIG) {
		fail(err, "a newer caller's longer struct, extra field set: want E2BIG");
		return;
	}
	future.newer_field = 0;
	if (ioctl(fd, IOASID_GET_INFO, &future)) {
		fail(errno, "a newer caller's longer struct, extra field zero");
		return;
	}
	say("a newer caller's longer struct: E2BIG with its extra field set, fine with it zero");
}

/*
 * A VMM gives a guest with 256 MiB of RAM its physical layout as the IOVA
 * space, keeping the 32 MiB hole at 128 MiB free.
 */
static void show_ioasid(int fd)
{
	static const struct ioasid_iova_range guest_ram[] = {
		{ 160 << 20, (256 << 20) - 1 },
		{ 0, (128 << 20) - 1 },
	};
	struct ioasid_set_allowed_ranges allow = {
		.size = sizeof(allow),
		.num_ranges = ARRAY_SIZE(guest_ram),
		.ranges = (uintptr_t)guest_ram,
	};
	uint64_t align;
	char text[256];
	uint32_t id;
	int ret;

	ret = ioasid_alloc(fd, &id);
	if (ret) {
		fail(ret, "allocating an IOASID");
		return;
	}
	ret = ioasid_ranges(fd, id, text, sizeof(text), &align);
	if (ret)
		fail(ret, "reading the usable IOVAs of IOASID %u", id);
	else
		say("allocated IOASID %u; usable IOVAs %s, in 0x%llx-byte units",
		    id, text, (unsigned long long)align);

	allow.ioasid = id;
	ret = ioctl(fd, IOASID_SET_ALLOWED_RANGES, &allow) ? errno : 0;
	if (!ret)
		ret = ioasid_ranges(fd, id, text, sizeof(text), &align);
	if (ret)
		fail(ret, "allowing only a guest's RAM in IOASID %u", id);
	else
		say("allowed only a 256 MiB guest's RAM, not its hole at 128 MiB: usable IOVAs %s",
		    text);

	ret = ioasid_destroy(fd, id);
	if (ret) {
		fail(ret, "destroying IOASID %u", id);
		return;
	}
	ret = ioasid_destroy(fd, id);
	if (ret != ENOENT)
		fail(ret, "destroying IOASID %u a second time should fail with ENOENT",
		     id);
	else
		say("destroyed IOASID %u; destroying it again failed with ENOENT",
		    id);
}

/* What the device part works with; fds are -1 and buffers NULL if unset. */
struct dma_demo {
	int fd;			/* /dev/ioasid */
	int dev_fd;		/* edu's VFIO cdev */
	struct edu edu;
	size_t page;
	uint8_t *src;		/* the text, at SRC_IOVA in A and B */
	uint8_t *dst_a;		/* at DST_IOVA in A */
	uint8_t *dst_b;		/* at DST_IOVA in B */
	uint32_t a, b;
	char dev[32];		/* edu's PCI address */
	char cdev[64];
};

/* IOASID A with the source and a zeroed destination; edu attached to it. */
static bool setup_a(struct dma_demo *d)
{
	char link[256];
	const char *driver;
	unsigned int kib = d->page / 1024;
	uint32_t id;
	bool bound;
	int ret;

	ret = ioasid_alloc(d->fd, &d->a);
	if (ret)
		return fail(ret, "allocating IOASID A");
	say("allocated IOASID A (id %u) for the device", d->a);

	ret = map_fixed(d->fd, d->a, d->src, d->page, SRC_IOVA);
	if (ret)
		return fail(ret, "mapping the source buffer at IOVA %#llx in A",
			    SRC_IOVA);
	say("mapped a %u KiB source buffer at IOVA %#llx in A, filled with \"%.28s...\"",
	    kib, SRC_IOVA, (const char *)d->src);
	ret = map_fixed(d->fd, d->a, d->dst_a, d->page, DST_IOVA);
	if (ret)
		return fail(ret, "mapping the destination buffer at IOVA %#llx in A",
			    DST_IOVA);
	say("mapped a zeroed %u KiB destination buffer at IOVA %#llx in A",
	    kib, DST_IOVA);

	ret = edu_bind_vfio(d->dev, &bound, d->cdev, sizeof(d->cdev));
	if (ret == EBUSY) {
		driver = link_name(d->dev, "driver", link, sizeof(link));
		return fail(0, "binding edu %s to vfio-pci: driver %s has it",
			    d->dev, driver ? driver : "(gone)");
	}
	if (ret)
		return fail(ret, "binding edu %s to vfio-pci and finding its cdev",
			    d->dev);
	if (bound)
		say("bound edu %s to vfio-pci, cdev %s", d->dev, d->cdev);
	else
		say("edu %s was bound to vfio-pci already, cdev %s", d->dev,
		    d->cdev);

	d->dev_fd = open(d->cdev, O_RDWR | O_CLOEXEC);
	if (d->dev_fd < 0)
		return fail(errno, "opening %s", d->cdev);
	ret = vfio_bind(d->dev_fd, d->fd);
	if (ret)
		return fail(ret, "binding the device fd to /dev/ioasid (VFIO_DEVICE_BIND_IOASID)");
	say("bound the cdev to /dev/ioasid (VFIO_DEVICE_BIND_IOASID); DMA blocked until attached");

	ret = vfio_attach(d->dev_fd, d->a);
	if (ret)
		return fail(ret, "attaching the device to A (VFIO_DEVICE_ATTACH_IOASID)");
	say("attached the device to A (VFIO_DEVICE_ATTACH_IOASID)");

	ret = edu_open(&d->edu, d->dev_fd);
	if (!ret)
		ret = edu_read(&d->edu, EDU_REG_ID, &id, sizeof(id));
	if (ret)
		return fail(ret, "enabling bus mastering through the config region");
	if ((id & 0xff) != 0xed)
		return fail(0, "edu's id register reads %#x; its low byte should be 0xed",
			    id);
	say("enabled memory decoding and bus mastering; edu's id register reads %#x",
	    id);
	return true;
}

/*
 * ioasid-stat beside the demo (as in the test guests), in /bin or on PATH;
 * false when there is none.
 */
static bool find_stat(char *path, size_t len)
{
	const char *dirs, *next;
	char *slash;
	size_t dlen;
	ssize_t n;

	n = readlink("/proc/self/exe", path, len);
	if (n > 0 && (size_t)n < len) {
		path[n] = '\0';
		slash = strrchr(path, '/');
		if (slash && slash + sizeof(STAT_NAME) < path + len) {
			memcpy(slash + 1, STAT_NAME, sizeof(STAT_NAME));
			if (!access(path, X_OK))
				return true;
		}
	}
	snprintf(path, len, "/bin/" STAT_NAME);
	if (!access(path, X_OK))
		return true;
	for (dirs = getenv("PATH"); dirs && *dirs; dirs = next) {
		dlen = strcspn(dirs, ":");
		next = dirs[dlen] ? dirs + dlen + 1 : dirs + dlen;
		if (dlen && snprintf(path, len, "%.*s/" STAT_NAME, (int)dlen,
				     dirs) < (int)len && !access(path, X_OK))
			return true;
	}
	return false;
}

/*
 * What the kernel reports of our /dev/ioasid fd, as ioasid-stat shows it.
 * Not a step of the verdict: the tool is optional, and its output is for
 * the reader.
 */
static void show_stat(const char *attached)
{
	char path[4096], pid[16];
	int status;
	pid_t child;

	if (!find_stat(path, sizeof(path))) {
		say("skipped showing ioasid-stat: it is not beside the demo, in /bin or on PATH");
		return;
	}
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	say("what ioasid-stat -m -p %s shows while %s attached to A:", pid,
	    attached);
	fflush(stdout);
	child = fork();
	if (!child) {
		execl(path, path, "-m", "-p", pid, (char *)NULL);
		_exit(127);
	}
	if (child < 0 || waitpid(child, &status, 0) != child)
		say("could not run %s: %s", path, strerror(errno));
	else if (!WIFEXITED(status) || WEXITSTATUS(status))
		say("%s did not succeed (wait status %#x)", path, status);
}

/* Two virtio-net functions on vp_vdpa, their vDPA devices and fds. */
struct vdpa_pair {
	char pci[2][32];
	char name[2][32];
	bool created[2];
	struct vnet_dev dev[2];
};

static bool vdpa_open_pair(struct vdpa_pair *p)
{
	char why[128] = "", path[64];
	int i, ret;

	for (i = 0; i < 2; i++) {
		snprintf(p->name[i], sizeof(p->name[i]), "demo-vnet%d", i);
		vdpa_dev_del(p->name[i], NULL, 0);
		ret = vnet_bind_vp_vdpa(p->pci[i]);
		if (ret)
			return fail(ret, "giving %s to vp-vdpa", p->pci[i]);
		ret = vdpa_dev_add("pci", p->pci[i], p->name[i], why,
				   sizeof(why));
		if (ret)
			return fail(ret, "creating vDPA device %s %s", p->name[i],
				    why);
		p->created[i] = true;
		ret = vhost_vdpa_path(p->name[i], path, sizeof(path));
		if (!ret)
			ret = vnet_open(&p->dev[i], path);
		if (!ret)
			ret = vnet_layout(&p->dev[i], NULL,
					  VNET_IOVA + i * VNET_STRIDE);
		if (ret)
			return fail(ret, "opening the vhost-vdpa of %s",
				    p->name[i]);
	}
	say("gave virtio-net %s and %s to vp_vdpa; vDPA devices %s and %s, %s and %s",
	    p->pci[0], p->pci[1], p->name[0], p->name[1], p->dev[0].path,
	    p->dev[1].path);
	return true;
}

/* Binds, maps into A and attaches both; they are started. */
static bool vdpa_attach_pair(struct dma_demo *d, struct vdpa_pair *p)
{
	struct vnet_mapper m;
	int i, ret;

	vnet_mapper_ioasid(&m, d->fd, d->a);
	for (i = 0; i < 2; i++) {
		ret = vnet_ioasid_bind(p->dev[i].fd, d->fd);
		if (ret)
			return fail(ret, "VHOST_VDPA_IOASID_BIND of %s",
				    p->dev[i].path);
		ret = vnet_map(&p->dev[i], &m);
		if (ret)
			return fail(ret, "mapping %s's rings and buffers into A",
				    p->name[i]);
		ret = vnet_ioasid_attach(p->dev[i].fd, 0, d->a, NULL);
		if (ret)
			return fail(ret, "VHOST_VDPA_IOASID_ATTACH of %s to A",
				    p->dev[i].path);
		ret = vnet_start(&p->dev[i]);
		if (ret)
			return fail(ret, "starting %s", p->name[i]);
	}
	say("bound both vhost-vdpa fds to this /dev/ioasid, mapped their rings and buffers at IOVA %#llx and %#llx in A, attached them to A (VHOST_VDPA_IOASID_ATTACH) and started them",
	    VNET_IOVA, VNET_IOVA + VNET_STRIDE);
	return true;
}

/* One frame from the first to the second, compared. */
static bool vdpa_frame(struct vdpa_pair *p)
{
	static uint8_t frame[VNET_FRAME_LEN], got[VNET_FRAME_MAX];
	size_t i, len = 0;
	int ret;

	memset(frame, 0xff, 6);		/* broadcast */
	memcpy(frame + 6, p->dev[0].mac, 6);
	frame[12] = 0x88;		/* IEEE 802 local experimental */
	frame[13] = 0xb5;
	for (i = 14; i < sizeof(frame); i++)
		frame[i] = source_text[i % (sizeof(source_text) - 1)];
	ret = vnet_send(&p->dev[0], frame, sizeof(frame));
	if (!ret)
		ret = vnet_recv(&p->dev[1], got, sizeof(got), &len, 5000);
	if (ret)
		return fail(ret, "a frame from %s to %s", p->name[0],
			    p->name[1]);
	if (len != sizeof(frame) || memcmp(got, frame, len))
		return fail(0, "%s received %zu bytes, not the %zu %s sent",
			    p->name[1], len, sizeof(frame), p->name[0]);
	say("%s sent a %zu-byte frame through IOASID A, %s received it intact",
	    p->name[0], sizeof(frame), p->name[1]);
	return true;
}

/* What fdinfo says of edu's table and the virtio-net functions'. */
static bool vdpa_one_table(struct dma_demo *d, struct vdpa_pair *p)
{
	const struct view_device *dev[3];
	struct view_fdinfo fi;
	const char *names[3] = { d->dev, p->pci[0], p->pci[1] };
	bool same;
	int i, ret;

	ret = fdinfo_read(getpid(), d->fd, &fi);
	if (ret)
		return fail(ret, "reading this process's /dev/ioasid fdinfo");
	for (i = 0; i < 3; i++)
		dev[i] = fdinfo_device(&fi, names[i]);
	same = dev[0] && dev[1] && dev[2] && dev[0]->attached &&
	       dev[0]->ioas == d->a && dev[1]->ioas == d->a &&
	       dev[2]->ioas == d->a && dev[1]->table == dev[0]->table &&
	       dev[2]->table == dev[0]->table;
	if (same)
		say("fdinfo: edu %s, %s and %s are attached to A through one page table, %u",
		    names[0], names[1], names[2], dev[0]->table);
	fdinfo_free(&fi);
	return same ? true : fail(0, "fdinfo does not show the three devices in one table of A");
}

static void vdpa_close_pair(struct vdpa_pair *p)
{
	int i;

	for (i = 0; i < 2; i++) {
		vnet_close(&p->dev[i]);
		if (p->created[i])
			vdpa_dev_del(p->name[i], NULL, 0);
		if (p->pci[i][0])
			vnet_unbind_vp_vdpa(p->pci[i]);
	}
}

/*
 * vhost-vdpa beside VFIO: edu stays attached to A while two vDPA devices
 * join it, exchange a frame, are shown by ioasid-stat, and leave.
 */
static bool vdpa_beside_edu(struct dma_demo *d)
{
	struct vdpa_pair p = { 0 };
	bool ok;

	vnet_init(&p.dev[0]);
	vnet_init(&p.dev[1]);
	if (vnet_find_pci(p.pci, 2) < 2) {
		say("skipped vhost-vdpa: two virtio-net functions (" VNET_PCI_ID ") needed");
		show_stat("edu is");
		return true;
	}
	ok = vdpa_open_pair(&p) && vdpa_attach_pair(d, &p) &&
	     vdpa_frame(&p) && vdpa_one_table(d, &p);
	if (ok)
		show_stat("edu and the two vDPA devices are");
	vdpa_close_pair(&p);
	if (ok)
		say("closed both vhost-vdpa fds, which unbinds them; deleted the vDPA devices");
	return ok;
}

/* Through A: into the device and back out, then blocked once unmapped. */
static bool dma_a(struct dma_demo *d)
{
	char seen[2048];
	uint64_t out;
	int ret, kmsg;
	bool found;

	ret = edu_from_ram(&d->edu, SRC_IOVA);
	if (ret)
		return fail(ret, "DMA RAM->device from IOVA %#llx", SRC_IOVA);
	say("DMA RAM->device: %d bytes from IOVA %#llx into edu's buffer at %#x",
	    DMA_LEN, SRC_IOVA, EDU_BUF);
	ret = edu_to_ram(&d->edu, DST_IOVA);
	if (ret)
		return fail(ret, "DMA device->RAM to IOVA %#llx", DST_IOVA);
	say("DMA device->RAM: %d bytes from edu's buffer to IOVA %#llx",
	    DMA_LEN, DST_IOVA);
	if (memcmp(d->dst_a, d->src, DMA_LEN) ||
	    !all_bytes(d->dst_a + DMA_LEN, d->page - DMA_LEN, 0))
		return fail(0, "the destination does not hold the %d bytes of the source",
			    DMA_LEN);
	say("DMA round trip through IOASID A: %d bytes match", DMA_LEN);
	if (!vdpa_beside_edu(d))
		return false;

	ret = unmap_range(d->fd, d->a, DST_IOVA, d->page, &out);
	if (ret)
		return fail(ret, "unmapping the destination from A");
	if (out != d->page)
		return fail(0, "unmapping the destination from A unmapped %llu bytes, not %zu",
			    (unsigned long long)out, d->page);
	say("unmapped the destination (IOVA %#llx) from A", DST_IOVA);

	memset(d->dst_a, POISON, d->page);
	kmsg = kmsg_open();
	ret = edu_to_ram(&d->edu, DST_IOVA);
	if (ret) {
		if (kmsg >= 0)
			close(kmsg);
		return fail(ret, "DMA device->RAM to the unmapped IOVA %#llx",
			    DST_IOVA);
	}
	found = kmsg_find_fault(kmsg, TARGET_VTD, seen, sizeof(seen));
	if (kmsg >= 0)
		close(kmsg);
	if (!all_bytes(d->dst_a, d->page, POISON))
		return fail(0, "the DMA to the unmapped IOVA %#llx reached the buffer",
			    DST_IOVA);
	say("filled it with %#x, DMA device->RAM to IOVA %#llx again: the buffer is unchanged",
	    POISON, DST_IOVA);
	if (found)
		say("the IOMMU driver logged: %s", seen);
	else
		fail(0, "no IOMMU fault in /dev/kmsg within %d ms; it read: %s",
		     KMSG_WAIT_MS, seen[0] ? seen : "(nothing)");

	/* Mapped again, so that A could take the next DMA if it went there. */
	ret = map_fixed(d->fd, d->a, d->dst_a, d->page, DST_IOVA);
	if (ret)
		return fail(ret, "mapping the destination at IOVA %#llx in A again",
			    DST_IOVA);
	say("mapped the destination at IOVA %#llx in A again, still holding %#x",
	    DST_IOVA, POISON);
	return true;
}

/* IOASID B with its own destination; the device moves there from A. */
static bool replace_b(struct dma_demo *d)
{
	int ret;

	ret = ioasid_alloc(d->fd, &d->b);
	if (ret)
		return fail(ret, "allocating IOASID B");
	ret = map_fixed(d->fd, d->b, d->dst_b, d->page, DST_IOVA);
	if (ret)
		return fail(ret, "mapping B's destination buffer at IOVA %#llx in B",
			    DST_IOVA);
	say("allocated IOASID B (id %u) with its own zeroed destination at IOVA %#llx",
	    d->b, DST_IOVA);
	ret = copy_fixed(d->fd, d->b, d->a, SRC_IOVA, d->page, SRC_IOVA);
	if (ret)
		return fail(ret, "mapping the source at IOVA %#llx in B with IOASID_COPY",
			    SRC_IOVA);
	say("mapped the source at IOVA %#llx in B too, with IOASID_COPY from A (no second pin)",
	    SRC_IOVA);

	ret = vfio_attach(d->dev_fd, d->b);
	if (ret)
		return fail(ret, "moving the device from A to B (VFIO_DEVICE_ATTACH_IOASID)");
	say("moved the device from A to B while attached (VFIO_DEVICE_ATTACH_IOASID B replaces A)");

	ret = edu_to_ram(&d->edu, DST_IOVA);
	if (ret)
		return fail(ret, "DMA device->RAM to IOVA %#llx in B", DST_IOVA);
	if (!all_bytes(d->dst_a, d->page, POISON))
		return fail(0, "the DMA to IOVA %#llx after the move reached A's buffer",
			    DST_IOVA);
	if (memcmp(d->dst_b, d->src, DMA_LEN))
		return fail(0, "the DMA to IOVA %#llx after the move did not land in B's buffer",
			    DST_IOVA);
	say("DMA device->RAM to IOVA %#llx landed in B's buffer (%d bytes match), not A's",
	    DST_IOVA, DMA_LEN);

	ret = ioasid_destroy(d->fd, d->b);
	if (ret != EBUSY)
		return fail(ret, "destroying B while attached: want EBUSY");
	say("IOASID_DESTROY of B failed with EBUSY: the device is attached to it");
	ret = vfio_detach(d->dev_fd);
	if (ret)
		return fail(ret, "detaching the device (VFIO_DEVICE_DETACH_IOASID)");
	say("detached the device (VFIO_DEVICE_DETACH_IOASID); its DMA is blocked again");
	ret = ioasid_destroy(d->fd, d->b);
	if (ret)
		return fail(ret, "destroying B after the detach");
	ret = ioasid_destroy(d->fd, d->a);
	if (ret)
		return fail(ret, "destroying A");
	say("destroyed B, then A");
	return true;
}

/*
 * The device part; returns why it was skipped, or NULL when it ran,
 * whether it succeeded or not.
 */
static const char *show_device_dma(int fd)
{
	struct dma_demo d = { .fd = fd, .dev_fd = -1 };
	size_t i;
	int ret;

	printf("ioasid-demo: a device doing DMA through IOASIDs\n");
	if (read_target() != TARGET_VTD)
		return "it needs the VT-d target (ioasid_iommu=dmar on the kernel command line)";
	if (geteuid())
		return "binding a device to vfio-pci needs root";
	if (edu_find(d.dev, sizeof(d.dev)))
		return "no edu device (PCI id 1234:11e8) on the PCI bus";

	d.page = sysconf(_SC_PAGESIZE);
	d.src = alloc_buf(d.page, 0, false);
	d.dst_a = alloc_buf(d.page, 0, false);
	d.dst_b = alloc_buf(d.page, 0, false);
	if (!d.src || !d.dst_a || !d.dst_b) {
		fail(ENOMEM, "allocating three buffers");
	} else {
		for (i = 0; i < d.page; i++)
			d.src[i] = source_text[i % (sizeof(source_text) - 1)];
		if (setup_a(&d) && dma_a(&d))
			replace_b(&d);
	}

	if (d.dev_fd >= 0) {
		ret = close(d.dev_fd) ? errno : 0;
		if (ret)
			fail(ret, "closing the device");
		else
			say("closed the device; edu stays bound to vfio-pci");
	}
	if (d.src)
		munmap(d.src, d.page);
	if (d.dst_a)
		munmap(d.dst_a, d.page);
	if (d.dst_b)
		munmap(d.dst_b, d.page);
	return NULL;
}

int main(void)
{
	const char *skipped = NULL;
	int fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ioasid-demo: the /dev/ioasid user API, step by step\n");
	fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fail(errno, "opening /dev/ioasid");
	} else {
		say("opened /dev/ioasid");
		show_info(fd);
		show_size_convention(fd);
		show_ioasid(fd);
		skipped = show_device_dma(fd);
		if (skipped)
			say("skipped: %s", skipped);
		if (close(fd))
			fail(errno, "closing /dev/ioasid");
		else
			say("closed /dev/ioasid");
	}

	if (failures)
		printf("verdict: FAIL, %d step%s did not behave as expected\n",
		       failures, failures == 1 ? "" : "s");
	else if (skipped)
		printf("verdict: PASS, every step behaved as expected (device part skipped)\n");
	else
		printf("verdict: PASS, every step behaved as expected\n");
	return failures ? 1 : 0;
}
