// SPDX-License-Identifier: GPL-2.0-only
/*
 * The ftrace function profiler of ftrace-profile.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ftrace-profile.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/*
 * What the profiler hooks: every path under test, the IOMMU core and
 * drivers, the memory management calls that pinning makes, and the slow
 * paths of the locks.  Hooking every kernel function would slow an
 * emulated guest down too much.
 */
static const char *const profile_filters[] = {
	"ioasid_*", "iommufd_*", "iopt_*", "iommu_*", "__iommu_*",
	"vfio_*", "intel_*", "domain_*", "cache_tag_*", "qi_*",
	"viommu_*", "virtqueue_*", "arm_smmu_*", "arm_lpae_*", "__arm_lpae_*",
	"pin_user_pages*", "unpin_user_*", "gup_*", "__gup_*",
	"get_user_pages*", "__get_user_pages*", "follow_page*",
	"try_grab_*", "folio_*", "pfn_reader_*", "batch_*",
	"__kmalloc*", "kvrealloc*", "kvfree", "kfree", "vfree",
	"__vmalloc*", "interval_tree_*", "xa_*", "mutex_lock",
	/* Called only when contended: what two threads wait for. */
	"rwsem_down_*", "*queued_spin_lock_slowpath", "schedule",
};

static const char *const tracing_dirs[] = {
	"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
};

static const char *profile_dir;

static int profile_write(const char *file, const char *text, bool append)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", profile_dir, file);
	fd = open(path, O_WRONLY | (append ? O_APPEND : O_TRUNC));
	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -EIO;
}

/* Finds tracefs and sets the filter; false when there is no profiler. */
bool profile_open(void)
{
	char path[128];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tracing_dirs); i++) {
		snprintf(path, sizeof(path), "%s/function_profile_enabled",
			 tracing_dirs[i]);
		if (!access(path, W_OK)) {
			profile_dir = tracing_dirs[i];
			break;
		}
	}
	if (!profile_dir)
		return false;
	/* Globs that match nothing in this kernel are refused: skip them. */
	profile_write("set_ftrace_filter", "", false);
	for (i = 0; i < ARRAY_SIZE(profile_filters); i++)
		profile_write("set_ftrace_filter", profile_filters[i], true);
	return true;
}

/* Enabling the profiler also clears what it counted before. */
int profile_start(void)
{
	return profile_write("function_profile_enabled", "1", false);
}

/*
 * Stops the profiler and prints, for each CPU that ran a hooked function,
 * the rows that took longest, each line starting with @prefix.
 */
void profile_stop(const char *prefix)
{
	char path[128], line[256];
	unsigned int cpu, rows;
	FILE *f;

	profile_write("function_profile_enabled", "0", false);
	for (cpu = 0; ; cpu++) {
		snprintf(path, sizeof(path), "%s/trace_stat/function%u",
			 profile_dir, cpu);
		f = fopen(path, "r");
		if (!f)
			break;
		/* Two header lines, then rows in falling total time. */
		for (rows = 0;
		     rows < PROFILE_ROWS + 2 && fgets(line, sizeof(line), f);
		     rows++)
			printf("%s cpu%u: %s", prefix, cpu, line);
		fclose(f);
	}
}
