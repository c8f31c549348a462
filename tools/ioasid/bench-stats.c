// SPDX-License-Identifier: GPL-2.0-only
/*
 * ioasid-bench: what a workload measures and how a figure's samples are
 * summed up: the clock, the IOVA sequence, /proc/meminfo and the figures.
 */
#include "bench.h"

#define RND_SEED	0x9e3779b97f4a7c15ULL

struct figure figures[MAX_FIGURES];
unsigned int nr_figures;
static uint64_t rnd_state = RND_SEED;

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

/* xorshift64*: the same IOVAs for every path, and no libc state. */
uint64_t rnd(void)
{
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return rnd_state * 0x2545f4914f6cdd1dULL;
}

/* Starts sequence @n again: paths given the same one see the same IOVAs. */
void rnd_restart(unsigned int n)
{
	rnd_state = RND_SEED + n;
}

/* Figures: a sample list per path, summed up as median and spread */

struct figure *new_figure(const char *name, const char *unit)
{
	struct figure *f = &figures[nr_figures];

	/*
	 * The workloads make 65 with the four default counts, 81 with
	 * MAX_COUNTS; past the end, the last is reused.
	 */
	if (nr_figures + 1 < MAX_FIGURES)
		nr_figures++;
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->unit = unit;
	return f;
}

void add_sample(struct figure *f, enum path_id p, double value)
{
	if (f->n[p] < MAX_REPS)
		f->v[p][f->n[p]++] = value;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median of the @n, at least one, samples of @v, which it sorts. */
double median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

bool figure_stats(const struct figure *f, enum path_id p,
		  struct stats *st)
{
	double v[MAX_REPS];
	unsigned int n = f->n[p];

	if (!n)
		return false;
	memcpy(v, f->v[p], n * sizeof(*v));
	st->median = median(v, n);
	st->min = v[0];
	st->max = v[n - 1];
	return true;
}

/* /proc/meminfo */

void read_meminfo(struct meminfo *m)
{
	static const struct {
		const char *name;
		size_t offset;
	} fields[] = {
		{ "Slab:", offsetof(struct meminfo, slab) },
		{ "SecPageTables:", offsetof(struct meminfo, sec_pagetables) },
		{ "VmallocUsed:", offsetof(struct meminfo, vmalloc_used) },
		{ "PageTables:", offsetof(struct meminfo, pagetables) },
		{ "AnonHugePages:", offsetof(struct meminfo, anon_huge) },
		{ "HugePages_Total:", offsetof(struct meminfo, huge_total) },
		{ "Hugepagesize:", offsetof(struct meminfo, huge_size) },
		{ "MemTotal:", offsetof(struct meminfo, total) },
		{ "MemAvailable:", offsetof(struct meminfo, available) },
	};
	FILE *f;
	char line[128];
	size_t i;

	/* Fold the per-CPU counters, which hide small deltas otherwise. */
	write_attr("/proc/sys/vm/stat_refresh", "1");
	f = fopen("/proc/meminfo", "r");
	memset(m, 0, sizeof(*m));
	while (f && fgets(line, sizeof(line), f))
		for (i = 0; i < ARRAY_SIZE(fields); i++)
			if (!strncmp(line, fields[i].name,
				     strlen(fields[i].name)))
				*(long *)((char *)m + fields[i].offset) =
					atol(line + strlen(fields[i].name));
	if (f)
		fclose(f);
}

/* Workload 1: one large mapping, by backing; with 4 KiB, kernel memory */
