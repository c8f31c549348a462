/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The ftrace function profiler, driven around one call: which kernel
 * functions ran and how long each took with its children.  Needs a
 * kernel with CONFIG_FUNCTION_PROFILER and CONFIG_FUNCTION_GRAPH_TRACER,
 * and tracefs or debugfs mounted.  Built from ftrace-profile.c.
 */
#ifndef __IOASID_FTRACE_PROFILE_H
#define __IOASID_FTRACE_PROFILE_H

#include <stdbool.h>

/* Rows printed per profile: the functions that took longest. */
#define PROFILE_ROWS	40

/* Finds tracefs and sets the filter; false when there is no profiler. */
bool profile_open(void);

/* Enabling the profiler also clears what it counted before. */
int profile_start(void);

/*
 * Stops the profiler and prints, for each CPU that ran a hooked function,
 * the rows that took longest, each line starting with @prefix.
 */
void profile_stop(const char *prefix);

#endif /* __IOASID_FTRACE_PROFILE_H */
