/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Running a program of the host's that the harness copied into the guest
 * (qemu/debian-root.sh), as the tests of unmodified clients do: its stdin
 * a pipe the test writes to, its stdout and stderr one file.
 */
#ifndef __HOST_PROGRAM_H
#define __HOST_PROGRAM_H

#include <stdbool.h>
#include <sys/types.h>

struct host_program {
	pid_t pid;
	int input;		/* the write end of its stdin, or -1 */
	const char *output;	/* the file its stdout and stderr go to */
	bool exited;		/* reaped, with its wait status in status */
	int status;
};

/*
 * Starts @argv[0] with @argv and the environment @envp (none when NULL),
 * its output in the file @output, which is truncated first.
 */
int host_program_start(struct host_program *p, const char *const argv[],
		       const char *const envp[], const char *output);

/* Writes @text to its stdin; errno or 0. */
int host_program_write(struct host_program *p, const char *text);

/* Closes its stdin, which a program that reads to the end waits for. */
void host_program_close_input(struct host_program *p);

/*
 * Waits up to @seconds for it to exit: its wait status, or -1 when it
 * did not, and was killed.
 */
int host_program_wait(struct host_program *p, int seconds);

/*
 * Waits up to @seconds for it to write @what: 0, ECHILD when it exited
 * first, ETIMEDOUT.
 */
int host_program_wait_for(struct host_program *p, const char *what,
			  int seconds);

/* What it wrote so far, NUL-terminated, or NULL; free() it. */
char *host_program_output(const struct host_program *p);

/* Whether it wrote @what so far. */
bool host_program_said(const struct host_program *p, const char *what);

#endif /* __HOST_PROGRAM_H */
