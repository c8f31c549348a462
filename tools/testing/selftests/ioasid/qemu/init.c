// SPDX-License-Identifier: GPL-2.0
/*
 * Guest init for the /dev/ioasid QEMU targets.
 *
 * Mounts the pseudo filesystems, runs every program in /run.d in name order,
 * then dumps the kernel log between markers for the host to scan for
 * splats, and powers the machine off.
 *
 * The console stays loud: kernel messages and the programs' output both
 * reach it, and may tear each other's lines.  So the verdicts travel on a
 * channel of their own, the device named by ioasid_verdict= on the kernel
 * command line (a second serial port, or a virtio-serial port, that the
 * host writes to a file): init's start, run, exit and done lines, and the
 * TAP plan and result lines of each program, which init reads whole from
 * the program's output pipe before copying that output to the console.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define RUN_DIR "/run.d"
#define KMEMLEAK "/sys/kernel/debug/kmemleak"
#define KMEMLEAK_MIN_AGE 6	/* seconds; kmemleak's own minimum is 5 */
#define VERDICT_WAIT_MS 5000	/* a virtio-serial port appears late */
#define LINE_MAX_LEN 4096
#define MAX_ARGS 32		/* of a program, with its name and the NULL */

/* The verdict channel, or -1 when the command line names none. */
static int verdict_fd = -1;

/* syslog(2) actions, named here because glibc does not export them */
#define SYSLOG_READ_ALL		3
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

/* Writes all of @len bytes of @buf to @fd, or gives up on an error. */
static void write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= n;
	}
}

/*
 * Opens the device that ioasid_verdict= names (the kernel hands unknown
 * name=value parameters to init as its environment).  A virtio-serial port
 * shows up only once the host has announced it, so wait for it a while.
 */
static void open_verdict(void)
{
	const char *name = getenv("ioasid_verdict");
	struct termios tio;
	char path[256];
	int waited;

	if (!name || !*name) {
		printf("ioasid-init: no ioasid_verdict= device: verdicts go to the console only\n");
		return;
	}
	snprintf(path, sizeof(path), "/dev/%s", name);
	for (waited = 0; waited < VERDICT_WAIT_MS; waited += 50) {
		verdict_fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
		if (verdict_fd >= 0 || errno != ENOENT)
			break;
		usleep(50 * 1000);
	}
	if (verdict_fd < 0) {
		printf("ioasid-init: verdict channel %s: %s\n", path, strerror(errno));
		return;
	}
	/* A serial port passes the bytes as they are: no \r added to \n. */
	if (!tcgetattr(verdict_fd, &tio)) {
		cfmakeraw(&tio);
		tcsetattr(verdict_fd, TCSANOW, &tio);
	}
}

/* Prints one of init's own lines on the console and the verdict channel. */
static void report(const char *fmt, ...)
{
	char line[LINE_MAX_LEN];
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	if (len > (int)sizeof(line) - 2)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	fflush(stdout);
	write_all(STDOUT_FILENO, line, len);
	if (verdict_fd >= 0)
		write_all(verdict_fd, line, len);
}

/* A TAP plan or test result at the top level, as check-log.sh reads them. */
static bool is_tap_verdict(const char *line)
{
	return !strncmp(line, "1..", 3) || !strncmp(line, "ok ", 3) ||
	       !strncmp(line, "not ok ", 7);
}

/* The output of the program running now, cut into lines. */
struct relay {
	char line[LINE_MAX_LEN];
	size_t len;
	bool overflow;	/* the line did not fit: not a verdict */
	bool mid_line;	/* the console's last byte was not a newline */
};

static void relay_end_line(struct relay *r)
{
	if (verdict_fd >= 0 && !r->overflow && r->len) {
		r->line[r->len] = '\0';
		if (is_tap_verdict(r->line)) {
			r->line[r->len] = '\n';
			write_all(verdict_fd, r->line, r->len + 1);
		}
	}
	r->len = 0;
	r->overflow = false;
}

/* Copies @buf to the console, and its verdict lines to their channel. */
static void relay_output(struct relay *r, const char *buf, size_t len)
{
	size_t i;

	write_all(STDOUT_FILENO, buf, len);
	r->mid_line = buf[len - 1] != '\n';
	for (i = 0; i < len; i++) {
		if (buf[i] == '\n')
			relay_end_line(r);
		else if (r->len < sizeof(r->line) - 1)
			r->line[r->len++] = buf[i];
		else
			r->overflow = true;
	}
}

/*
 * Relays the output of @pid from the pipe @fd until the program has exited
 * and the pipe is empty; a child the program left behind may keep the pipe
 * open, so do not wait for its end.  Returns waitpid()'s answer.
 */
static pid_t relay_until_exit(int fd, pid_t pid, int *status)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct relay r = { .len = 0 };
	pid_t done = 0;
	char buf[4096];
	ssize_t n;

	fcntl(fd, F_SETFL, O_NONBLOCK);
	for (;;) {
		if (!done) {
			done = waitpid(pid, status, WNOHANG);
			if (done < 0 && errno == EINTR)
				done = 0;
		}
		n = read(fd, buf, sizeof(buf));
		if (n > 0) {
			relay_output(&r, buf, n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN && !done) {
			poll(&pfd, 1, 100);
			continue;
		}
		break;	/* end of file, an error, or the program is gone */
	}
	if (r.len)
		relay_end_line(&r);
	if (r.mid_line)
		write_all(STDOUT_FILENO, "\n", 1);
	while (!done) {
		done = waitpid(pid, status, 0);
		if (done < 0 && errno != EINTR)
			break;
		if (done < 0)
			done = 0;
	}
	return done;
}

static int filter_program(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * Fills @argv for program @path called @name: its arguments are those of
 * <name>_args=a,b on the kernel command line, which the kernel passes to
 * init in its environment, split at the commas into @buf.
 */
static void program_argv(const char *name, char *path, char **argv,
			 char *buf, size_t size)
{
	char var[128], *arg, *save;
	const char *args;
	int argc = 0;

	argv[argc++] = path;
	snprintf(var, sizeof(var), "%s_args", name);
	args = getenv(var);
	if (args) {
		/* On the console only, as the times are */
		printf("ioasid-init: %s=%s\n", var, args);
		snprintf(buf, size, "%s", args);
		for (arg = strtok_r(buf, ",", &save);
		     arg && argc < MAX_ARGS - 1;
		     arg = strtok_r(NULL, ",", &save))
			argv[argc++] = arg;
	}
	argv[argc] = NULL;
}

static void run_program(const char *name)
{
	long long start = now_ms();
	char path[512], args[LINE_MAX_LEN];
	char *argv[MAX_ARGS];
	int pipefd[2];
	int status;
	pid_t pid;

	snprintf(path, sizeof(path), RUN_DIR "/%s", name);
	report("ioasid-init: run %s", name);
	program_argv(name, path, argv, args, sizeof(args));
	if (pipe2(pipefd, O_CLOEXEC)) {
		report("ioasid-init: exit %s -1 (pipe: %s)", name, strerror(errno));
		return;
	}
	pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		dup2(pipefd[1], STDERR_FILENO);
		execv(path, argv);
		_exit(127);
	}
	close(pipefd[1]);
	if (pid < 0 || relay_until_exit(pipefd[0], pid, &status) != pid) {
		report("ioasid-init: exit %s -1 (%s)", name, strerror(errno));
		close(pipefd[0]);
		return;
	}
	close(pipefd[0]);
	if (WIFEXITED(status))
		report("ioasid-init: exit %s %d", name, WEXITSTATUS(status));
	else
		report("ioasid-init: exit %s signal %d", name, WTERMSIG(status));
	/* On the console only: where a boot's time goes */
	printf("ioasid-init: %s took %lld ms\n", name, now_ms() - start);
}

/*
 * Whether the target leaves @name out: ioasid_skip=a,b on the kernel
 * command line, which the kernel passes to init in its environment.
 */
static bool left_out(const char *name)
{
	const char *list = getenv("ioasid_skip");
	size_t len = strlen(name);

	while (list && *list) {
		if (!strncmp(list, name, len) &&
		    (list[len] == ',' || !list[len]))
			return true;
		list = strchr(list, ',');
		if (list)
			list++;
	}
	return false;
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
		if (left_out(names[i]->d_name))
			printf("ioasid-init: %s left out on this target\n",
			       names[i]->d_name);
		else
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

	open_verdict();
	clear_kmemleak();
	report("ioasid-init: start");
	run_all();
	scan_kmemleak();
	dump_kernel_log();
	report("ioasid-init: done");
	fflush(stdout);
	if (verdict_fd >= 0) {
		tcdrain(verdict_fd);
		close(verdict_fd);
	}
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
