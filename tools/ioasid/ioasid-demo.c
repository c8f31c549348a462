// SPDX-License-Identifier: GPL-2.0-only
/*
 * ioasid-demo: walks through the /dev/ioasid uAPI the way a VMM or a
 * userspace driver does, saying what each step does and what came back.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/ioasid.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *const ioctl_names[] = {
	[IOASID_CMD_GET_INFO] = "IOASID_GET_INFO",
	[IOASID_CMD_DESTROY] = "IOASID_DESTROY",
	[IOASID_CMD_ALLOC] = "IOASID_ALLOC",
	[IOASID_CMD_IOVA_RANGES] = "IOASID_IOVA_RANGES",
	[IOASID_CMD_SET_ALLOWED_RANGES] = "IOASID_SET_ALLOWED_RANGES",
};

static int failures;

static void step(const char *what, int ok, const char *detail)
{
	printf("%s %s%s%s\n", ok ? "[ ok ]" : "[FAIL]", what,
	       detail ? ": " : "", detail ? detail : "");
	if (!ok)
		failures++;
}

static void show_info(int fd)
{
	struct ioasid_info info = { .size = sizeof(info) };
	unsigned int nr;

	if (ioctl(fd, IOASID_GET_INFO, &info)) {
		step("ask the kernel what /dev/ioasid offers", 0, strerror(errno));
		return;
	}
	step("ask the kernel what /dev/ioasid offers", 1, NULL);
	printf("       API version %u, features 0x%llx\n", info.api_version,
	       (unsigned long long)info.features);
	for (nr = 0; nr < 64; nr++) {
		const char *name = "(unnamed in this demo)";

		if (!(info.ioctls & (1ULL << nr)))
			continue;
		if (nr < ARRAY_SIZE(ioctl_names) && ioctl_names[nr])
			name = ioctl_names[nr];
		printf("       ioctl %2u: %s\n", nr, name);
	}
}

static void show_errno_convention(int fd)
{
	struct {
		struct ioasid_info info;
		unsigned char newer_field;
	} future = { .info.size = sizeof(future), .newer_field = 1 };
	int ret;

	ret = ioctl(fd, IOASID_GET_INFO, &future);
	step("a struct from a newer caller with a field this kernel lacks is refused",
	     ret == -1 && errno == E2BIG, ret ? strerror(errno) : "accepted");

	future.newer_field = 0;
	ret = ioctl(fd, IOASID_GET_INFO, &future);
	step("the same struct with that field zero is accepted", ret == 0,
	     ret ? strerror(errno) : NULL);
}

static void show_ranges(int fd, uint32_t ioasid)
{
	struct ioasid_iova_range ranges[8];
	struct ioasid_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioasid = ioasid,
		.num_ranges = ARRAY_SIZE(ranges),
		.ranges = (uintptr_t)ranges,
	};
	unsigned int i;

	if (ioctl(fd, IOASID_IOVA_RANGES, &cmd)) {
		step("read the usable IOVA ranges", 0, strerror(errno));
		return;
	}
	step("read the usable IOVA ranges", 1, NULL);
	for (i = 0; i < cmd.num_ranges && i < ARRAY_SIZE(ranges); i++)
		printf("       0x%016llx - 0x%016llx\n",
		       (unsigned long long)ranges[i].start,
		       (unsigned long long)ranges[i].last);
	printf("       mappings are placed in units of 0x%llx bytes\n",
	       (unsigned long long)cmd.out_iova_alignment);
}

/*
 * A VMM gives a guest with 256 MiB of RAM its physical layout as the
 * IOVA space, keeping the 32 MiB hole at 128 MiB free.
 */
static void show_ioasid(int fd)
{
	static const struct ioasid_iova_range guest_ram[] = {
		{ 160 << 20, (256 << 20) - 1 },
		{ 0, (128 << 20) - 1 },
	};
	struct ioasid_alloc alloc = { .size = sizeof(alloc) };
	struct ioasid_set_allowed_ranges allow = {
		.size = sizeof(allow),
		.num_ranges = ARRAY_SIZE(guest_ram),
		.ranges = (uintptr_t)guest_ram,
	};
	struct ioasid_destroy destroy = { .size = sizeof(destroy) };
	char detail[64];
	int ret;

	ret = ioctl(fd, IOASID_ALLOC, &alloc);
	snprintf(detail, sizeof(detail), "id %u", alloc.out_ioasid);
	step("allocate an IOASID, an empty I/O address space", !ret,
	     ret ? strerror(errno) : detail);
	if (ret)
		return;
	show_ranges(fd, alloc.out_ioasid);

	allow.ioasid = alloc.out_ioasid;
	ret = ioctl(fd, IOASID_SET_ALLOWED_RANGES, &allow);
	step("allow only the guest's RAM, leaving a hole at 128 MiB", !ret,
	     ret ? strerror(errno) : NULL);
	show_ranges(fd, alloc.out_ioasid);

	destroy.id = alloc.out_ioasid;
	ret = ioctl(fd, IOASID_DESTROY, &destroy);
	step("destroy the IOASID", !ret, ret ? strerror(errno) : NULL);
	ret = ioctl(fd, IOASID_DESTROY, &destroy);
	step("destroying it again fails with ENOENT", ret && errno == ENOENT,
	     ret ? strerror(errno) : "succeeded");
}

int main(void)
{
	int fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);

	printf("ioasid-demo: the /dev/ioasid user API, step by step\n");
	step("open /dev/ioasid", fd >= 0, fd < 0 ? strerror(errno) : NULL);
	if (fd < 0)
		return 1;
	show_info(fd);
	show_errno_convention(fd);
	show_ioasid(fd);
	close(fd);
	printf("ioasid-demo: %s\n", failures ? "FAILED" : "all steps succeeded");
	return failures ? 1 : 0;
}
