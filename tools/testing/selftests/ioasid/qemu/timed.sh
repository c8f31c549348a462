#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# timed.sh NAME COMMAND...
# Runs COMMAND and says how long it took, in a TIME line, so that a run of
# make check shows where its time goes; exits as COMMAND does.
name=$1
shift
start=$(date +%s)
"$@"
rc=$?
printf '  %-8s%s: %d s\n' TIME "$name" $(($(date +%s) - start))
exit $rc
