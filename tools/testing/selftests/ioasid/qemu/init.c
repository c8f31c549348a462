// SPDX-License-Identifier: GPL-2.0
/*
 * Guest init for the /dev/ioasid QEMU targets.
 *
 * Mounts the pseudo filesystems, runs every program in /run.d in name order
 * with the kernel console quietened so that the TAP they print is not torn
 * by printk, then dumps the kernel log between markers for the host to scan
 * for splats, and powers the machine off.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define RUN_DIR "/run.d"
#define KMEMLEAK "/sys/kernel/debug/kmemleak"
#define KMEMLEAK_MIN_AGE 6	/* seconds; kmemleak's own minimum is 5 */

/* syslog(2) actions, named here because glibc does not export them */
#define SYSLOG_READ_ALL		3
#define SYSLOG_CONSOLE_LEVEL	8
#define SYSLOG_SIZE_BUFFER	10

static void mount_fs(const char *source, const char *dir, const char *type)
{
	mkdir(dir, 0755);
	if (mount(source, dir, type, 0, NULL) && errno != EBUSY)
		printf("ioasid-init: mount %s on %s: %s\n", type, dir, strerror(errno));
}

static void open_console(void)
{
	int fd = open("/dev/console", O_RDWR);

	if (fd < 0)
		return;
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
}

static int filter_program(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static void run_program(const char *name)
{
	char path[512];
	int status;
	pid_t pid;

	snprintf(path, sizeof(path), RUN_DIR "/%s", name);
	printf("ioasid-init: run %s\n", name);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execl(path, path, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		printf("ioasid-init: exit %s -1 (%s)\n", name, strerror(errno));
		return;
	}
	if (WIFEXITED(status))
		printf("ioasid-init: exit %s %d\n", name, WEXITSTATUS(status));
	else
		printf("ioasid-init: exit %s signal %d\n", name, WTERMSIG(status));
	fflush(stdout);
}

static void run_all(void)
{
	struct dirent **names;
	int i, n;

	n = scandir(RUN_DIR, &names, filter_program, alphasort);
	if (n < 0) {
		printf("ioasid-init: %s: %s\n", RUN_DIR, strerror(errno));
		return;
	}
	for (i = 0; i < n; i++) {
		run_program(names[i]->d_name);
		free(names[i]);
	}
	free(names);
}

/* Forget what boot allocated, so that only the programs' leaks count. */
static void clear_kmemleak(void)
{
	int fd = open(KMEMLEAK, O_WRONLY);

	if (fd < 0)
		return;
	if (write(fd, "clear", 5) != 5)
		printf("ioasid-init: kmemleak clear: %s\n", strerror(errno));
	close(fd);
}

/*
 * Ask kmemleak, when the kernel has it, to report what it finds.  It
 * reports only objects older than five seconds, so wait that long first.
 */
static void scan_kmemleak(void)
{
	int fd = open(KMEMLEAK, O_RDWR);
	char buf[4096];
	ssize_t n;

	if (fd < 0)
		return;
	sleep(KMEMLEAK_MIN_AGE);
	if (write(fd, "scan", 4) != 4)
		printf("ioasid-init: kmemleak scan: %s\n", strerror(errno));
	lseek(fd, 0, SEEK_SET);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, n, stdout);
	close(fd);
}

static void dump_kernel_log(void)
{
	int size = klogctl(SYSLOG_SIZE_BUFFER, NULL, 0);
	char *buf;
	int n;

	if (size <= 0)
		return;
	buf = malloc(size);
	if (!buf)
		return;
	n = klogctl(SYSLOG_READ_ALL, buf, size);
	printf("ioasid-init: dmesg begin\n");
	if (n > 0)
		fwrite(buf, 1, n, stdout);
	printf("ioasid-init: dmesg end\n");
	free(buf);
}

int main(void)
{
	mount_fs("devtmpfs", "/dev", "devtmpfs");
	open_console();
	setvbuf(stdout, NULL, _IOLBF, 0);
	mount_fs("proc", "/proc", "proc");
	mount_fs("sysfs", "/sys", "sysfs");
	mount_fs("debugfs", "/sys/kernel/debug", "debugfs");
	mount_fs("tmpfs", "/tmp", "tmpfs");

	/* Only emergencies reach the console while the programs print. */
	klogctl(SYSLOG_CONSOLE_LEVEL, NULL, 1);
	clear_kmemleak();
	printf("ioasid-init: start\n");
	run_all();
	scan_kmemleak();
	dump_kernel_log();
	printf("ioasid-init: done\n");
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
