// SPDX-License-Identifier: GPL-2.0-only
/*
 * The ioasid tracepoints, defined once here; trace.h declares them.
 */
#define CREATE_TRACE_POINTS
#include "trace.h"
