// SPDX-License-Identifier: GPL-2.0-only
/*
 * ioasid-demo: walks through the /dev/ioasid uAPI the way a VMM or a
 * userspace driver does, saying what each step does and what came back.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/ioasid.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *const ioctl_names[] = {
	[IOASID_CMD_GET_INFO] = "IOASID_GET_INFO",
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

int main(void)
{
	int fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);

	printf("ioasid-demo: the /dev/ioasid user API, step by step\n");
	step("open /dev/ioasid", fd >= 0, fd < 0 ? strerror(errno) : NULL);
	if (fd < 0)
		return 1;
	show_info(fd);
	show_errno_convention(fd);
	close(fd);
	printf("ioasid-demo: %s\n", failures ? "FAILED" : "all steps succeeded");
	return failures ? 1 : 0;
}
