// SPDX-License-Identifier: GPL-2.0-only
/*
 * Debian's QEMU 7.2, unmodified, as the VMM of a device on /dev/ioasid:
 * qemu-system-x86_64 assigns edu with -device vfio-pci, which takes
 * edu's VFIO group into the VFIO container that /dev/ioasid serves, maps
 * all of its guest's RAM with MAP_DMA and realizes the device (config
 * space, BARs, interrupts).  Its guest stays paused (-S): the test reads
 * QEMU's monitor (info pci, info mtree) and quits.  It passes when QEMU
 * exits cleanly, shows edu in its guest's PCI bus and reported no failed
 * DMA mapping, its container's fdinfo (a /dev/ioasid context's) shows the
 * guest's RAM pinned, charged to QEMU, and edu bound, and the IOMMU logged
 * no fault.  Running the inner guest
 * under TCG inside TCG is left out: it is minutes per boot.
 *
 * The harness copies QEMU, its libraries, its TCG module and the BIOS
 * into the initramfs of the x86 targets (qemu/debian-root.sh); where they
 * are missing the test skips.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "edu_vfio.h"
#include "host_program.h"
#include "ioasid_utils.h"
#include "ioasid_views.h"
#include "../kselftest_harness.h"

#define QEMU		"/usr/bin/qemu-system-x86_64"
#define OUTPUT		"/tmp/qemu.out"
#define EXIT_SECONDS	180
/* What QEMU's info pci says of edu in its guest, and of a failed map. */
#define EDU_IN_GUEST	"PCI device 1234:11e8"
#define MAP_FAILED_MSG	"vfio_dma_map"
/* The inner guest's RAM, all of which QEMU maps for the device. */
#define GUEST_RAM_ARG	"64"
#define GUEST_RAM	(64ULL << 20)

FIXTURE(qemu) {
	enum target target;
	char edu[32];
	bool ours;		/* /dev/vfio/vfio is /dev/ioasid's */
};

FIXTURE_SETUP(qemu)
{
	char cdev[64];
	bool bound;

	if (geteuid())
		SKIP(return, "binding a device to vfio-pci needs root");
	if (access(QEMU, X_OK))
		SKIP(return, "no " QEMU " in this initramfs");
	self->target = read_target();
	ASSERT_EQ(0, edu_find(self->edu, sizeof(self->edu)));
	ASSERT_EQ(0, edu_bind_vfio(self->edu, &bound, cdev, sizeof(cdev)));
	self->ours = container_is_ioasid();
	TH_LOG("/dev/vfio/vfio is %s", self->ours ?
	       "served by /dev/ioasid" : "VFIO's own type1 container");

	/* Last, as teardown only runs when setup finished. */
	if (self->target == TARGET_VIRTIO)
		ASSERT_EQ(0, write_container_unsafe("Y"));
}

FIXTURE_TEARDOWN(qemu)
{
	if (self->target == TARGET_VIRTIO)
		EXPECT_EQ(0, write_container_unsafe("N"));
}

/* Logs at most @max lines of @out, from the one before that with @what. */
static void log_from(struct __test_metadata *_metadata, const char *out,
		     const char *what, int max)
{
	const char *p = strstr(out, what), *end;
	int i;

	if (!p)
		return;
	/* From the line before: where QEMU names the slot. */
	for (i = 0; i < 2 && p > out; i++)
		for (p--; p > out && p[-1] != '\n'; p--)
			;
	for (end = p, i = 0; end && i < max; i++)
		end = strchr(end + 1, '\n');
	TH_LOG("%.*s", end ? (int)(end - p) : (int)strlen(p), p);
}

/* The fd of @pid open on /dev/vfio/vfio, or -1. */
static int container_fd_of(pid_t pid)
{
	char dir[64], path[PATH_MAX], target[PATH_MAX];
	struct dirent *d;
	int fd = -1;
	ssize_t n;
	DIR *fds;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
	fds = opendir(dir);
	while (fds && fd < 0 && (d = readdir(fds))) {
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = 0;
			if (!strcmp(target, "/dev/vfio/vfio"))
				fd = atoi(d->d_name);
		}
	}
	if (fds)
		closedir(fds);
	return fd;
}

/*
 * What QEMU's container shows in its fdinfo, as a /dev/ioasid context:
 * its guest's RAM mapped and pinned, charged to QEMU, and edu bound.
 */
static void check_container(struct __test_metadata *_metadata, pid_t pid)
{
	struct view_fdinfo fi = {};
	int fd = container_fd_of(pid);

	ASSERT_LE(0, fd) TH_LOG("QEMU has no /dev/vfio/vfio open");
	ASSERT_EQ(0, fdinfo_read(pid, fd, &fi)) TH_LOG("%s", fi.error);
	EXPECT_EQ(VIEW_ACCOUNT_PROCESS, fi.accounting);
	EXPECT_EQ(1, fi.nr_ioas);
	EXPECT_EQ(1, fi.nr_devices);
	EXPECT_LE(GUEST_RAM, fi.pinned_bytes);
	if (fi.nr_ioas)
		TH_LOG("QEMU's container: %llu mappings of %llu bytes, %llu pinned, %u device(s)",
		       (unsigned long long)fi.ioas[0].mappings,
		       (unsigned long long)fi.ioas[0].mapped_bytes,
		       (unsigned long long)fi.pinned_bytes, fi.nr_devices);
	fdinfo_free(&fi);
}

TEST_F_TIMEOUT(qemu, assigns_edu, 300)
{
	char device[64];
	const char *argv[16] = {
		QEMU, "-M", "q35", "-accel", "tcg", "-m", GUEST_RAM_ARG, "-S",
		"-nodefaults", "-display", "none", "-monitor", "stdio",
		"-device", device, NULL,
	};
	struct host_program qemu;
	char seen[2048], *out;
	int status, kmsg, ret;

	snprintf(device, sizeof(device), "vfio-pci,host=%s", self->edu);
	kmsg = kmsg_open();
	ASSERT_EQ(0, host_program_start(&qemu, argv, NULL, OUTPUT));
	/* The monitor answers once the machine is realized. */
	EXPECT_EQ(0, host_program_write(&qemu, "info pci\n"));
	ret = host_program_wait_for(&qemu, EDU_IN_GUEST, EXIT_SECONDS);
	EXPECT_EQ(0, ret) TH_LOG("QEMU showed no edu: %s", strerror(ret));
	/* VFIO's own container, the baseline's, has no such fdinfo. */
	if (!ret && self->ours)
		check_container(_metadata, qemu.pid);
	EXPECT_EQ(0, host_program_write(&qemu, "info mtree\nquit\n"));
	status = host_program_wait(&qemu, EXIT_SECONDS);
	out = host_program_output(&qemu);
	ASSERT_NE(NULL, out);

	EXPECT_LE(0, status) TH_LOG("QEMU did not exit in %d s", EXIT_SECONDS);
	EXPECT_TRUE(status >= 0 && WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("QEMU's wait status: %#x", status);
	EXPECT_EQ(NULL, strstr(out, MAP_FAILED_MSG));
	log_from(_metadata, out, EDU_IN_GUEST, 6);
	if (_metadata->exit_code != KSFT_PASS)
		TH_LOG("QEMU's output:\n%.4000s", out);
	EXPECT_FALSE(kmsg_find_fault(kmsg, self->target, seen, sizeof(seen)))
		TH_LOG("the IOMMU logged: %s", seen);
	if (kmsg >= 0)
		close(kmsg);
	free(out);
}

TEST_HARNESS_MAIN
