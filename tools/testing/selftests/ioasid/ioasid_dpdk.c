// SPDX-License-Identifier: GPL-2.0-only
/*
 * Debian's DPDK 22.11, unmodified, on /dev/ioasid: dpdk-testpmd drives the
 * two e1000 NICs the harness puts on one QEMU hub, through vfio-pci and the
 * VFIO container that /dev/ioasid serves, and forwards packets between
 * them: each port's transmissions are the other's receptions.  The test
 * passes when testpmd exits cleanly with packets received and sent on both
 * ports and the IOMMU logged no fault, in IOVA-as-VA and IOVA-as-PA modes.
 *
 * The harness copies testpmd, its libraries and the e1000 and ring mempool
 * drivers into the initramfs (qemu/debian-root.sh): the host's own on the
 * x86 targets, Debian's arm64 build of the same packages on smmuv3.  Where
 * they are missing the test skips.  On a kernel with VFIO's own type1
 * container instead, the same test is the baseline: it says which
 * container it ran on.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "edu_vfio.h"
#include "host_program.h"
#include "ioasid_utils.h"
#include "../kselftest_harness.h"

#define TESTPMD		"/usr/bin/dpdk-testpmd"
/* stdbuf(1)'s library, which line-buffers stdout as _STDBUF_O asks. */
#define STDBUF		"/usr/libexec/coreutils/libstdbuf.so"
#define E1000_ID	"0x8086 0x100e"	/* QEMU's e1000, an 82540EM */
#define OUTPUT		"/tmp/testpmd.out"
#define HUGEPAGES	"/dev/hugepages"
/* How long testpmd forwards, and how long it may take to start and stop. */
#define FORWARD_SECONDS	2
#define EXIT_SECONDS	120
/* What testpmd prints once it forwards, without a command line. */
#define PROMPT		"Press enter to exit"

struct port_stats {
	unsigned long long rx, tx;
	bool seen;
};

FIXTURE(dpdk) {
	enum target target;
	char nic[2][32];	/* PCI names of the two e1000 */
	bool mounted;		/* hugetlbfs mounted by setup */
	bool ours;		/* /dev/vfio/vfio is /dev/ioasid's */
};

FIXTURE_VARIANT(dpdk) {
	const char *iova_mode;
};

FIXTURE_VARIANT_ADD(dpdk, iova_va) {
	.iova_mode = "va",
};

FIXTURE_VARIANT_ADD(dpdk, iova_pa) {
	.iova_mode = "pa",
};

/* The first two PCI devices with @id, in name order. */
static int find_pair(const char *id, char nic[2][32])
{
	struct dirent **names;
	int n, i, found = 0;

	n = scandir("/sys/bus/pci/devices", &names, NULL, alphasort);
	if (n < 0)
		return errno;
	for (i = 0; i < n; i++) {
		if (found < 2 && names[i]->d_name[0] != '.' &&
		    pci_id_is(names[i]->d_name, id))
			snprintf(nic[found++], sizeof(nic[0]), "%.31s",
				 names[i]->d_name);
		free(names[i]);
	}
	free(names);
	return found == 2 ? 0 : ENODEV;
}

/* Binds @dev to vfio-pci unless it is already. */
static int nic_bind_vfio(const char *dev)
{
	char link[256];
	const char *driver = link_name(dev, "driver", link, sizeof(link));
	int ret;

	if (driver)
		return strcmp(driver, "vfio-pci") ? EBUSY : 0;
	ret = bind_vfio_pci(dev);
	if (ret)
		return ret;
	driver = link_name(dev, "driver", link, sizeof(link));
	return driver && !strcmp(driver, "vfio-pci") ? 0 : ENXIO;
}

/*
 * Runs testpmd, which forwards from its prompt until a line on its stdin,
 * for FORWARD_SECONDS.  Returns its wait status, or -1 when it did not
 * reach its prompt or did not exit in time and was killed; *@seconds is
 * how long it forwarded.
 */
static int run_testpmd(struct host_program *p, const char *nic0,
		       const char *nic1, const char *iova_mode,
		       double *seconds)
{
	char iova_arg[32];
	const char *argv[17] = {
		TESTPMD, "-l", "0-1", "-n", "1", "--in-memory",
		"--vfio-intr=legacy", iova_arg, "-a", nic0, "-a", nic1,
		"--", "--forward-mode=io", "--tx-first",
		"--total-num-mbufs=2048", NULL,
	};
	/* Line-buffered, so that the prompt reaches the file at once. */
	static const char *const envp[] = {
		"LD_PRELOAD=" STDBUF, "_STDBUF_O=L", NULL,
	};
	struct timespec t0, t1;
	int ret, status;

	*seconds = 0;
	snprintf(iova_arg, sizeof(iova_arg), "--iova-mode=%s", iova_mode);
	if (host_program_start(p, argv, envp, OUTPUT))
		return -1;
	ret = host_program_wait_for(p, PROMPT, EXIT_SECONDS);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!ret)
		sleep(FORWARD_SECONDS);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	host_program_write(p, "\n");
	status = host_program_wait(p, EXIT_SECONDS);
	if (ret == ETIMEDOUT)
		return -1;
	if (!ret)
		*seconds = t1.tv_sec - t0.tv_sec +
			   (t1.tv_nsec - t0.tv_nsec) / 1e9;
	return status;
}

/*
 * The per-port totals testpmd prints when it stops forwarding:
 *	"---- Forward statistics for port 0 ----"
 *	"RX-packets: 123 RX-dropped: 0 RX-total: 123"
 *	"TX-packets: 456 TX-dropped: 0 TX-total: 456"
 */
static void parse_stats(const char *out, struct port_stats ports[2])
{
	const char *p = out, *rx, *tx;
	unsigned long port;
	char *end;

	memset(ports, 0, 2 * sizeof(ports[0]));
	while ((p = strstr(p, "Forward statistics for port "))) {
		p += strlen("Forward statistics for port ");
		port = strtoul(p, &end, 10);
		if (end == p || port > 1)
			continue;
		rx = strstr(p, "RX-packets:");
		tx = strstr(p, "TX-packets:");
		if (!rx || !tx)
			break;
		ports[port].seen =
			sscanf(rx, "RX-packets: %llu", &ports[port].rx) == 1 &&
			sscanf(tx, "TX-packets: %llu", &ports[port].tx) == 1;
	}
}

/* Prints the last lines of @out, for a failure. */
static void log_tail(struct __test_metadata *_metadata, const char *out)
{
	size_t len = strlen(out);

	TH_LOG("testpmd's output ends with:\n%s",
	       len > 3000 ? out + len - 3000 : out);
}

FIXTURE_SETUP(dpdk)
{
	struct stat st;
	int i, ret;

	self->mounted = false;
	if (geteuid())
		SKIP(return, "binding NICs to vfio-pci needs root");
	if (access(TESTPMD, X_OK))
		SKIP(return, "no " TESTPMD " in this initramfs");
	self->target = read_target();
	ASSERT_EQ(0, find_pair(E1000_ID, self->nic))
		TH_LOG("no two e1000 (" E1000_ID ") on the PCI bus: see qemu/Makefile");
	for (i = 0; i < 2; i++) {
		ret = nic_bind_vfio(self->nic[i]);
		ASSERT_EQ(0, ret) TH_LOG("binding %s to vfio-pci: %s",
					 self->nic[i], strerror(ret));
	}
	self->ours = container_is_ioasid();
	TH_LOG("/dev/vfio/vfio is %s", self->ours ?
	       "served by /dev/ioasid" : "VFIO's own type1 container");
	ASSERT_TRUE(!stat(HUGEPAGES, &st) || !mkdir(HUGEPAGES, 0755));
	if (!mount("nodev", HUGEPAGES, "hugetlbfs", 0, NULL))
		self->mounted = true;

	/* Last, as teardown only runs when setup finished. */
	if (self->target == TARGET_VIRTIO)
		ASSERT_EQ(0, write_container_unsafe("Y"));
}

FIXTURE_TEARDOWN(dpdk)
{
	if (self->target == TARGET_VIRTIO)
		EXPECT_EQ(0, write_container_unsafe("N"));
	if (self->mounted)
		umount(HUGEPAGES);
}

TEST_F_TIMEOUT(dpdk, testpmd_forwards, 300)
{
	struct port_stats ports[2];
	struct host_program testpmd;
	char seen[2048];
	double seconds;
	int status, kmsg, i;
	char *out;

	kmsg = kmsg_open();
	status = run_testpmd(&testpmd, self->nic[0], self->nic[1],
			     variant->iova_mode, &seconds);
	out = host_program_output(&testpmd);
	ASSERT_NE(NULL, out);
	if (status < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		log_tail(_metadata, out);
	ASSERT_LE(0, status) TH_LOG("testpmd did not forward, or not stop, in %d s",
				    EXIT_SECONDS);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(NULL, strstr(out, "EAL: Error"));

	parse_stats(out, ports);
	for (i = 0; i < 2; i++) {
		EXPECT_TRUE(ports[i].seen) TH_LOG("no statistics for port %d",
						  i);
		EXPECT_LT(0, ports[i].rx);
		EXPECT_LT(0, ports[i].tx);
		TH_LOG("%s, iova %s: port %d: rx %llu, tx %llu in %.1f s: %.0f, %.0f pps",
		       self->ours ? "/dev/ioasid" : "type1", variant->iova_mode,
		       i, ports[i].rx, ports[i].tx, seconds,
		       seconds > 0 ? ports[i].rx / seconds : 0,
		       seconds > 0 ? ports[i].tx / seconds : 0);
	}
	if (_metadata->exit_code != KSFT_PASS && status >= 0)
		log_tail(_metadata, out);
	EXPECT_FALSE(kmsg_find_fault(kmsg, self->target, seen, sizeof(seen)))
		TH_LOG("the IOMMU logged: %s", seen);
	if (kmsg >= 0)
		close(kmsg);
	free(out);
}

TEST_HARNESS_MAIN
