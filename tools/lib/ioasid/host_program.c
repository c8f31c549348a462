// SPDX-License-Identifier: GPL-2.0-only
/*
 * Running a program of the host's in the guest: see host_program.h.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* pipe2() */
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host_program.h"

/* The most of a program's output a test reads. */
#define MAX_OUTPUT	(1024 * 1024)

int host_program_start(struct host_program *p, const char *const argv[],
		       const char *const envp[], const char *output)
{
	static const char *const no_env[] = { NULL };
	int in[2], out;

	p->pid = -1;
	p->input = -1;
	p->output = output;
	p->exited = false;
	out = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0)
		return errno;
	if (pipe2(in, O_CLOEXEC)) {
		close(out);
		return errno;
	}
	p->pid = fork();
	if (!p->pid) {
		if (dup2(in[0], 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
			_exit(127);
		execve(argv[0], (char *const *)argv,
		       (char *const *)(envp ? envp : no_env));
		_exit(127);
	}
	close(in[0]);
	close(out);
	if (p->pid < 0) {
		close(in[1]);
		return errno;
	}
	p->input = in[1];
	return 0;
}

int host_program_write(struct host_program *p, const char *text)
{
	size_t len = strlen(text);

	if (p->input < 0)
		return EBADF;
	return write(p->input, text, len) == (ssize_t)len ? 0 : errno ?: EIO;
}

void host_program_close_input(struct host_program *p)
{
	if (p->input >= 0)
		close(p->input);
	p->input = -1;
}

/* Reaps it if it exited; whether it did. */
static bool host_program_reaped(struct host_program *p)
{
	if (!p->exited && waitpid(p->pid, &p->status, WNOHANG) == p->pid)
		p->exited = true;
	return p->exited;
}

int host_program_wait(struct host_program *p, int seconds)
{
	int i;

	host_program_close_input(p);
	for (i = 0; i < seconds * 10 && !host_program_reaped(p); i++)
		usleep(100000);
	if (host_program_reaped(p))
		return p->status;
	kill(p->pid, SIGKILL);
	waitpid(p->pid, &p->status, 0);
	p->exited = true;
	return -1;
}

int host_program_wait_for(struct host_program *p, const char *what,
			  int seconds)
{
	int i;

	for (i = 0; i < seconds * 10; i++) {
		if (host_program_said(p, what))
			return 0;
		if (host_program_reaped(p))
			return ECHILD;
		usleep(100000);
	}
	return ETIMEDOUT;
}

char *host_program_output(const struct host_program *p)
{
	char *buf = calloc(1, MAX_OUTPUT + 1);
	int fd = open(p->output, O_RDONLY | O_CLOEXEC);
	ssize_t n = 0, r;

	if (!buf || fd < 0) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while (n < MAX_OUTPUT && (r = read(fd, buf + n, MAX_OUTPUT - n)) > 0)
		n += r;
	close(fd);
	return buf;
}

bool host_program_said(const struct host_program *p, const char *what)
{
	char *out = host_program_output(p);
	bool said = out && strstr(out, what);

	free(out);
	return said;
}
