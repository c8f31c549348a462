// SPDX-License-Identifier: GPL-2.0-only
/*
 * ioasid-bench: two threads against one.  A thread maps one 4 KiB page at
 * an IOVA of its own and unmaps it, over and over, for a fixed time; an op
 * is one map and its unmap.  Two threads run in one address space, in two
 * address spaces of one fd, and in two fds.  The guest has two vCPUs:
 * each thread stays on one, and they start together from a barrier.
 *
 * A mode's scaling is its rate over one thread's in the same sessions:
 * the mode runs in slices that take turns with slices of one thread
 * alone, so that both meet the host alike.  Under TCG how fast a vCPU
 * runs drifts by half over seconds, more than the scaling measured; a
 * one-thread run a second away from the mode's would decide it.  The
 * lone thread takes each vCPU in turn, slice by slice: a vCPU whose host
 * thread shares a core with something else is the slower one for a while.
 *
 * Every address space has a device attached, so that the IOMMU page table
 * is written: a mock device of its own on the mock paths, and on the edu
 * paths the first edu, and for the second address space or fd another
 * edu, in an IOMMU group of its own.
 */
#include "bench.h"

#define NR_THREADS	2
/* Thousands of ops on TCG; a tenth of it in smoke sizes. */
#define THREAD_RUN_MS	500
/* Slices of a mode's run and of its one thread's, taking turns. */
#define THREAD_SLICES	5
/* Each thread's IOVA is this far from the other's, in a leaf of its own. */
#define THREAD_STRIDE	SZ_2M
/* Additions of user-space work per op of the compute threads. */
#define COMPUTE_CHUNK	1000
/* The targets, printed beside the figures, never asserted. */
#define TWO_AS_TARGET	1.8
#define SAME_AS_TARGET	1.0

enum thread_mode { ONE_THREAD, SAME_AS, TWO_AS, TWO_FDS, NR_MODES };

static const char *const mode_names[NR_MODES] = {
	[ONE_THREAD] = "1T",
	[SAME_AS] = "2T 1 IOASID",
	[TWO_AS] = "2T 2 IOASIDs",
	[TWO_FDS] = "2T 2 fds",
};

struct worker {
	pthread_t tid;
	struct session *s;
	void *page;
	uint64_t iova;
	int cpu;
	pthread_barrier_t *start;
	const bool *stop;
	uint64_t ops;
	uint64_t ns;
	int err;
	const char *step;
};

struct threads {
	struct buffer pages;			/* one per thread */
	struct figure *rate[NR_MODES];		/* ops/s */
	struct figure *compute;			/* two compute threads over one */
	struct figure *scaling[NR_MODES];	/* over ONE_THREAD's */
};

/* For the targets, after the tables; NULL when the workload did not run. */
static struct threads *printed;

/* The paths whose fds give a second address space and a second fd. */
static const char *no_threads(enum path_id p)
{
	if (!path_ops[p].alloc_as)
		return "only the /dev/ioasid and iommufd fds of edu and the mocks";
	return NULL;
}

/* Why @p cannot run @m, or NULL. */
static const char *mode_missing(enum path_id p, enum thread_mode m)
{
	if (m != ONE_THREAD && sysconf(_SC_NPROCESSORS_ONLN) < NR_THREADS)
		return "fewer than two CPUs";
	if ((m == TWO_AS || m == TWO_FDS) && !path_ops[p].mock &&
	    !nr_other_edus)
		return "one edu attaches to one address space of one fd, and there is no other";
	return NULL;
}

static void stay_on(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	/* A thread that stays unpinned still counts; only the spread grows. */
	sched_setaffinity(0, sizeof(set), &set);
}

/* An op of a thread without a session: work that touches no memory. */
static void compute_op(void)
{
	unsigned long sum = 0;
	unsigned int i;

	for (i = 0; i < COMPUTE_CHUNK; i++) {
		sum += i;
		/* Keeps the compiler from folding the loop away. */
		__asm__ __volatile__("" : "+r" (sum));
	}
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	const struct path_ops *ops = w->s ? &path_ops[w->s->path] : NULL;
	uint64_t t0;

	stay_on(w->cpu);
	pthread_barrier_wait(w->start);
	t0 = now_ns();
	while (!__atomic_load_n(w->stop, __ATOMIC_RELAXED)) {
		if (!ops) {
			compute_op();
			w->ops++;
			continue;
		}
		w->err = ops->map(w->s, w->page, page_size, w->iova);
		if (w->err) {
			w->step = ops->map_name;
			break;
		}
		w->err = ops->unmap(w->s, w->iova, page_size);
		if (w->err) {
			w->step = ops->unmap_name;
			break;
		}
		w->ops++;
	}
	w->ns = now_ns() - t0;
	return NULL;
}

/*
 * A thread that cannot be made leaves the others waiting at the barrier:
 * nothing can go on.  TAP's "Bail out!" says so.
 */
static void bail_out(int err)
{
	printf("Bail out! creating a thread: %s\n", strerror(err));
	exit(1);
}

/*
 * Runs a thread per session of @ss for @run_ms, thread i on the i-th CPU
 * from @first_cpu, at IOVA i strides into @base[i], and sums their ops/s
 * in @rate; *@step says what failed.  Without @ss, @nr threads compute.
 */
static int run_workers(struct threads *t, struct session **ss,
		       const uint64_t *base, unsigned int nr,
		       unsigned int first_cpu, unsigned int run_ms,
		       double *rate, const char **step)
{
	struct worker w[NR_THREADS] = {};
	pthread_barrier_t start;
	bool stop = false;
	unsigned int i;
	int ret;

	pthread_barrier_init(&start, NULL, nr + 1);
	for (i = 0; i < nr; i++) {
		w[i].s = ss ? ss[i] : NULL;
		w[i].page = (char *)t->pages.buf + i * page_size;
		w[i].iova = ss ? base[i] + i * THREAD_STRIDE : 0;
		w[i].cpu = (first_cpu + i) % NR_THREADS;
		w[i].start = &start;
		w[i].stop = &stop;
		ret = pthread_create(&w[i].tid, NULL, worker_run, &w[i]);
		if (ret)
			bail_out(ret);
	}
	pthread_barrier_wait(&start);
	usleep(run_ms * 1000);
	__atomic_store_n(&stop, true, __ATOMIC_RELAXED);
	for (i = 0; i < nr; i++)
		pthread_join(w[i].tid, NULL);
	pthread_barrier_destroy(&start);
	*rate = 0;
	for (i = 0; i < nr; i++) {
		if (w[i].err) {
			*step = w[i].step;
			return w[i].err;
		}
		*rate += w[i].ns ? w[i].ops * 1e9 / w[i].ns : 0;
	}
	return 0;
}

/* The sessions of mode @m: one, or two when the threads need two. */
static int open_mode(struct session *s, enum path_id p, enum thread_mode m)
{
	int ret = session_open(&s[0], p, true);

	if (ret || m == ONE_THREAD || m == SAME_AS)
		return ret;
	if (m == TWO_AS)
		return session_add_as(&s[0], &s[1], &other_edus[0]);
	/* The mock paths make a device of their own and take no edu. */
	ret = session_open_on(&s[1], p, &other_edus[0]);
	if (ret)
		s[0].step = s[1].step;
	return ret;
}

static void close_mode(struct session *s, enum thread_mode m)
{
	/* TWO_AS's second address space is in the first's fd. */
	if (m == TWO_AS && s[1].dev_fd >= 0 && s[1].dev_fd != s[0].dev_fd)
		close(s[1].dev_fd);
	session_close(&s[0]);
	if (m == TWO_FDS)
		session_close(&s[1]);
}

static unsigned int slice_ms(void)
{
	return (cfg.smoke ? THREAD_RUN_MS / 10 : THREAD_RUN_MS) / THREAD_SLICES;
}

/*
 * One slice of @m's threads in @ss, or of compute threads without @ss.
 * The first slice of each mode is profiled as @m's figure when asked, as
 * a profile run has one round.
 */
static int run_slice(struct threads *t, enum path_id p, enum thread_mode m,
		     struct session **ss, const uint64_t *base,
		     unsigned int first_cpu, unsigned int k, double *rate,
		     const char **step)
{
	unsigned int nr = m == ONE_THREAD ? 1 : NR_THREADS;
	bool profiled = ss && k == 0;
	int ret;

	if (profiled)
		profile_begin();
	ret = run_workers(t, ss, base, nr, first_cpu, slice_ms(), rate, step);
	if (profiled)
		profile_end(t->rate[m]->name, path_ops[p].name);
	return ret;
}

/*
 * Runs @m as run_slice() does, in slices that take turns with slices of
 * one thread, and sets the mean ops/s of each; @rate stays 0 when @m is
 * ONE_THREAD.  Which goes first changes every slice, and so does the
 * lone thread's vCPU.
 */
static int run_turns(struct threads *t, enum path_id p, enum thread_mode m,
		     struct session **ss, const uint64_t *base, unsigned int r,
		     double *rate, double *one, const char **step)
{
	unsigned int k;
	double got;
	bool lone;
	int ret = 0;

	*rate = 0;
	*one = 0;
	for (k = 0; !ret && k < 2 * THREAD_SLICES; k++) {
		lone = (k + r) % 2;
		if (m == ONE_THREAD && !lone)
			continue;
		ret = run_slice(t, p, lone ? ONE_THREAD : m, ss, base,
				(k / 2 + r) % NR_THREADS, k / 2, &got, step);
		*(lone ? one : rate) += got / THREAD_SLICES;
	}
	return ret;
}

/*
 * Runs mode @m of @p, in sessions of its own, in turns with one thread
 * in the first of them: see run_turns().  Returns false on failure,
 * which @o records.
 */
static bool mode_run(struct threads *t, enum path_id p, enum thread_mode m,
		     unsigned int r, struct outcome *o, double *rate,
		     double *one)
{
	struct session s[NR_THREADS] = {}, *ss[NR_THREADS];
	unsigned int nr = m == ONE_THREAD ? 1 : NR_THREADS, i;
	uint64_t base[NR_THREADS];
	const char *step;
	int ret;

	s[1].fd = -1;
	s[1].dev_fd = -1;
	ret = open_mode(s, p, m);
	step = s[0].step;
	for (i = 0; !ret && i < nr; i++) {
		ss[i] = m == SAME_AS ? &s[0] : &s[i];
		step = "finding an IOVA for the threads";
		if (!pick_iova(ss[i], NR_THREADS * THREAD_STRIDE,
			       THREAD_STRIDE, &base[i]))
			ret = ERANGE;
	}
	if (!ret)
		ret = run_turns(t, p, m, ss, base, r, rate, one, &step);
	if (ret)
		fail_at(o, step, ret);
	close_mode(s, m);
	return !ret;
}

/*
 * Two threads that compute against one, in slices that take turns as the
 * modes' do, beside @p's modes: they share nothing, so no mode can scale
 * further on this guest and host.
 */
static void compute_round(struct threads *t, enum path_id p, unsigned int r)
{
	const char *step;
	double one, two;

	run_turns(t, p, SAME_AS, NULL, NULL, r, &two, &one, &step);
	if (one > 0)
		add_sample(t->compute, p, two / one);
}

/*
 * One round of @p: every mode it can run, each beside one thread, then
 * the scalings.  One thread's figure is the one beside two threads in
 * one address space, or alone where there are no two threads.
 */
static void threads_round(struct threads *t, enum path_id p, unsigned int r,
			  struct outcome *o)
{
	double rate, one;
	unsigned int i;
	enum thread_mode m;

	for (i = 0; i < NR_MODES; i++) {
		/* Every other round backwards, so that no mode always leads. */
		m = r % 2 ? NR_MODES - 1 - i : i;
		if (o->fail || mode_missing(p, m))
			continue;
		if (m == ONE_THREAD && !mode_missing(p, SAME_AS))
			continue;
		if (!mode_run(t, p, m, r, o, &rate, &one))
			continue;
		if (m == ONE_THREAD || m == SAME_AS)
			add_sample(t->rate[ONE_THREAD], p, one);
		if (m == ONE_THREAD)
			continue;
		add_sample(t->rate[m], p, rate);
		if (one > 0)
			add_sample(t->scaling[m], p, rate / one);
	}
	if (!o->fail && !mode_missing(p, SAME_AS))
		compute_round(t, p, r);
}

static void threads_figures(struct threads *t)
{
	char name[48];
	enum thread_mode m;

	for (m = 0; m < NR_MODES; m++) {
		snprintf(name, sizeof(name), "threads %s", mode_names[m]);
		t->rate[m] = new_figure(name, "ops/s");
	}
	for (m = SAME_AS; m < NR_MODES; m++) {
		snprintf(name, sizeof(name), "scaling %s", mode_names[m]);
		t->scaling[m] = new_figure(name, "x");
	}
	t->compute = new_figure("scaling 2T compute", "x");
}

void run_threads(void)
{
	static struct threads t;
	struct outcome o[NR_PATHS] = {};
	unsigned int r, i;
	enum path_id p;

	if (!(cfg.tests & (1U << T_THREADS)))
		return;
	threads_figures(&t);
	if (buffer_alloc(&t.pages, BACK_4K, NR_THREADS * page_size))
		printf("# cannot allocate %d pages\n", NR_THREADS);
	for (p = 0; p < NR_PATHS; p++) {
		if (no_threads(p))
			skip_because(&o[p], no_threads(p));
		else if (unavailable[p][0])
			skip_because(&o[p], unavailable[p]);
		else if (!t.pages.map)
			skip_because(&o[p], "no pages to map");
	}
	for (r = 0; r < cfg.reps; r++) {
		for (i = 0; i < NR_PATHS; i++) {
			p = turn(r, i);
			if (selected(T_THREADS, p) && !o[p].skip)
				threads_round(&t, p, r, &o[p]);
		}
	}
	for (p = 0; p < NR_PATHS; p++) {
		if (!selected(T_THREADS, p))
			continue;
		report(T_THREADS, p, &o[p]);
		emit_figures(t.rate, NR_MODES, p);
		emit_figures(t.scaling + SAME_AS, NR_MODES - SAME_AS, p);
		emit_figures(&t.compute, 1, p);
	}
	buffer_free(&t.pages);
	printed = &t;
}

/* The median of @f on @p, or a negative value when it has none. */
static double median_of(const struct figure *f, enum path_id p)
{
	struct stats st;

	return figure_stats(f, p, &st) ? st.median : -1;
}

static const char *verdict(double v, double target)
{
	return v >= target ? "met" : "missed";
}

/* The scaling targets of one path. */
static void print_scaling(const struct threads *t, enum path_id p)
{
	double same = median_of(t->scaling[SAME_AS], p);
	double two = median_of(t->scaling[TWO_AS], p);
	double ceiling = median_of(t->compute, p);

	if (same < 0 && two < 0)
		return;
	printf("bench: threads %s:", path_ops[p].name);
	if (two >= 0)
		printf(" 2 IOASIDs scale %.2f (target >= %.1f: %s);", two,
		       TWO_AS_TARGET, verdict(two, TWO_AS_TARGET));
	else
		printf(" 2 IOASIDs n/a;");
	if (same >= 0)
		printf(" 1 IOASID 2T/1T %.2f (target >= %.1f: %s);", same,
		       SAME_AS_TARGET, verdict(same, SAME_AS_TARGET));
	else
		printf(" 1 IOASID n/a;");
	if (ceiling >= 0)
		printf(" two compute threads scale %.2f beside them\n", ceiling);
	else
		printf(" no compute threads beside them\n");
}

/* Ours against its peer in each mode: ahead means above 1 here. */
static void print_ahead(const struct threads *t, enum path_id a,
			enum path_id b)
{
	bool any = false, behind = false;
	double va, vb;
	enum thread_mode m;

	for (m = 0; m < NR_MODES; m++) {
		va = median_of(t->rate[m], a);
		vb = median_of(t->rate[m], b);
		if (va <= 0 || vb <= 0)
			continue;
		if (!any)
			printf("bench: threads %s/%s ops/s:", path_ops[a].name,
			       path_ops[b].name);
		printf("%s %s %.2f", any ? "," : "", mode_names[m], va / vb);
		any = true;
		behind |= va <= vb;
	}
	if (any)
		printf(" (target > 1 in each: %s)\n", behind ? "missed" : "met");
}

void print_thread_targets(void)
{
	static const enum path_id pairs[][2] = {
		{ OURS, IOMMUFD }, { OURS_MOCK, IOMMUFD_MOCK },
	};
	enum path_id p;
	unsigned int i;

	if (!printed)
		return;
	printf("bench:\nbench: %s\n",
	       "threads, targets (ops/s, higher is better; an op is a 4 KiB map and its unmap; on iommufd an IOASID is an IOAS):");
	for (p = 0; p < NR_PATHS; p++)
		if (selected(T_THREADS, p))
			print_scaling(printed, p);
	for (i = 0; i < ARRAY_SIZE(pairs); i++)
		if (selected(T_THREADS, pairs[i][0]) &&
		    selected(T_THREADS, pairs[i][1]))
			print_ahead(printed, pairs[i][0], pairs[i][1]);
}
