// SPDX-License-Identifier: GPL-2.0-only
/*
 * ioasid-bench: the workloads among many live 4 KiB mappings: map and
 * unmap of one of them, and churn at random IOVAs between them.
 */
#include "bench.h"

/*
 * Workloads 2 and 3: N live 4 KiB mappings, one every other page, so
 * that churn maps between them; they cycle through POOL_PAGES user pages.
 * How fast the emulator runs one path drifts by up to half over seconds,
 * so both put the paths they compare side by side in time.  Unmap-one
 * holds a session of each path of a group open at once, grows them all
 * through the counts, and at each count takes the repetitions in turns,
 * path by path; it does so in as many rounds as the group has paths,
 * each growing them in another order (see unmap_one_group()).  Churn,
 * whose kernel memory figures need one session at a time, runs in rounds
 * that each give every path a new session in turn.  The vDPA paths churn
 * among fewer live mappings when the vhost IOTLB holds fewer, with
 * figures of their own.
 */

/* The live mappings churn runs among, and its figures. */
struct churn_level {
	unsigned long live;
	struct figure *time;
	struct figure *per_mapping[2];	/* Slab and all */
};

/*
 * The figures of unmap-one at one count: a mapping made long ago, cold in
 * every cache, unmapped and mapped again; then the same one again at once,
 * which is what the floor, keeping nothing, can time.
 */
enum one_figure { ONE_UNMAP, ONE_MAP, ONE_UNMAP_AGAIN, ONE_MAP_AGAIN,
		  NR_ONE_FIGURES };

static const char *const one_formats[NR_ONE_FIGURES] = {
	[ONE_UNMAP] = "unmap 1 of %s",
	[ONE_MAP] = "map 1 of %s",
	[ONE_UNMAP_AGAIN] = "unmap 1 of %s again",
	[ONE_MAP_AGAIN] = "map 1 of %s again",
};

struct scale {
	uint8_t *pool;
	struct session *s;
	uint64_t base;
	unsigned long live;
	uint64_t grow_ns;	/* spent setting up the live mappings */
	double map_ns;		/* what one took, lately */
	struct figure *one[MAX_COUNTS][NR_ONE_FIGURES];
	struct churn_level churn[2];	/* the vDPA paths' second */
	struct meminfo before;		/* with no live mapping */
};

static uint64_t slot_iova(const struct scale *sc, unsigned long k)
{
	return sc->base + 2 * k * page_size;
}

static void *slot_page(const struct scale *sc, unsigned long k)
{
	return sc->pool + (k % POOL_PAGES) * page_size;
}

/* Past twice the budget, growing stops: the estimate was wrong. */
static bool over_budget(const struct scale *sc, uint64_t t0)
{
	return cfg.budget_s && sc->grow_ns + (now_ns() - t0) >
			       2ULL * cfg.budget_s * NSEC_PER_SEC;
}

static void note_late(const struct scale *sc, unsigned long n)
{
	char text[200], count[24];

	snprintf(text, sizeof(text),
		 "%s: no %s live mappings: setting them up took over twice the %u s budget (-t)",
		 path_ops[sc->s->path].name, count_text(n, count, sizeof(count)),
		 cfg.budget_s);
	add_note(text);
}

/* Maps up to @n live mappings; *@late when the budget runs out first. */
static int grow(struct scale *sc, unsigned long n, bool *late)
{
	const struct path_ops *ops = &path_ops[sc->s->path];
	unsigned long from = sc->live;
	uint64_t t0 = now_ns(), spent;
	double per_map;
	int ret;

	sc->s->step = ops->map_name;
	for (*late = false; sc->live < n; sc->live++) {
		if (!(sc->live % 1024) && over_budget(sc, t0)) {
			note_late(sc, n);
			*late = true;
			return 0;
		}
		ret = ops->map(sc->s, slot_page(sc, sc->live), page_size,
			       slot_iova(sc, sc->live));
		if (ret)
			return ret;
	}
	spent = now_ns() - t0;
	sc->grow_ns += spent;
	/* The fastest rate yet, so that one disturbance stops nothing. */
	per_map = (double)spent / (n - from);
	if (!sc->map_ns || per_map < sc->map_ns)
		sc->map_ns = per_map;
	printf("# %s: %lu live mappings, the last %lu at %.1f us each\n",
	       ops->name, n, n - from, per_map / 1e3);
	return 0;
}

/* Unmaps live mapping @k and maps it again, timing both. */
static int cycle_live(struct scale *sc, unsigned long k, uint64_t *unmap_ns,
		      uint64_t *map_ns)
{
	const struct path_ops *ops = &path_ops[sc->s->path];
	uint64_t t0, t1;
	int ret;

	t0 = now_ns();
	ret = ops->unmap(sc->s, slot_iova(sc, k), page_size);
	t1 = now_ns();
	if (ret) {
		sc->s->step = ops->unmap_name;
		return ret;
	}
	ret = ops->map(sc->s, slot_page(sc, k), page_size, slot_iova(sc, k));
	*map_ns = now_ns() - t1;
	*unmap_ns = t1 - t0;
	if (ret)
		sc->s->step = ops->map_name;
	return ret;
}

/*
 * The floor cannot unmap what IOASID_MAP made: it maps and unmaps one more
 * page, in the hole after live mapping @k, among the same live mappings.
 */
static int cycle_floor(struct scale *sc, unsigned long k, uint64_t *unmap_ns,
		       uint64_t *map_ns)
{
	return path_ops[sc->s->path].map_unmap(sc->s, slot_page(sc, k + 1),
					      page_size,
					      slot_iova(sc, k) + page_size,
					      map_ns, unmap_ns);
}

/*
 * Unmaps one random live mapping and maps it again, then does both again,
 * timing each; the floor only the second pair, in a hole beside it.
 */
static int unmap_one_rep(struct scale *sc, struct figure *const *figs)
{
	bool kernel_timed = path_ops[sc->s->path].map_unmap;
	uint64_t ns[NR_ONE_FIGURES] = {}, unmap_ns, map_ns;
	enum one_figure f;
	unsigned int i;
	int ret;

	for (i = 0; i < cfg.unmap_batch; i++) {
		unsigned long k = rnd() % sc->live;

		if (!kernel_timed) {
			ret = cycle_live(sc, k, &unmap_ns, &map_ns);
			if (ret)
				return ret;
			ns[ONE_UNMAP] += unmap_ns;
			ns[ONE_MAP] += map_ns;
			ret = cycle_live(sc, k, &unmap_ns, &map_ns);
		} else {
			ret = cycle_floor(sc, k, &unmap_ns, &map_ns);
		}
		if (ret)
			return ret;
		ns[ONE_UNMAP_AGAIN] += unmap_ns;
		ns[ONE_MAP_AGAIN] += map_ns;
	}
	for (f = kernel_timed ? ONE_UNMAP_AGAIN : 0; f < NR_ONE_FIGURES; f++)
		add_sample(figs[f], sc->s->path,
			   ns[f] / 1e3 / cfg.unmap_batch);
	return 0;
}

/*
 * Maps and unmaps one page in a random hole between live mappings,
 * @ns for all the pairs, timed around the loop.
 */
static int churn_pairs(struct scale *sc, uint64_t *ns)
{
	const struct path_ops *ops = &path_ops[sc->s->path];
	unsigned int i;
	uint64_t t0;
	int ret;

	t0 = now_ns();
	for (i = 0; i < cfg.churn_ops; i++) {
		unsigned long k = rnd() % sc->live;
		uint64_t iova = slot_iova(sc, k) + page_size;

		ret = ops->map(sc->s, slot_page(sc, k + 1), page_size, iova);
		if (ret) {
			sc->s->step = ops->map_name;
			return ret;
		}
		ret = ops->unmap(sc->s, iova, page_size);
		if (ret) {
			sc->s->step = ops->unmap_name;
			return ret;
		}
	}
	*ns = now_ns() - t0;
	return 0;
}

/* The same pairs on the floor, @ns the sum of what the kernel timed. */
static int churn_floor(struct scale *sc, uint64_t *ns)
{
	uint64_t map_ns, unmap_ns;
	unsigned int i;
	int ret;

	*ns = 0;
	for (i = 0; i < cfg.churn_ops; i++) {
		unsigned long k = rnd() % sc->live;

		ret = cycle_floor(sc, k, &unmap_ns, &map_ns);
		if (ret)
			return ret;
		*ns += map_ns + unmap_ns;
	}
	return 0;
}

static int churn_rep(struct scale *sc, const struct churn_level *lv)
{
	const struct path_ops *ops = &path_ops[sc->s->path];
	uint64_t ns;
	int ret;

	profile_begin();
	if (ops->map_unmap)
		ret = churn_floor(sc, &ns);
	else
		ret = churn_pairs(sc, &ns);
	if (ret)
		return ret;
	add_sample(lv->time, sc->s->path, ns / 1e3 / cfg.churn_ops);
	profile_end(lv->time->name, ops->name);
	return 0;
}

/*
 * The most live mappings a path can hold, given its IOVA space and its
 * limits; memory aside.
 */
static unsigned long iova_reach(struct scale *sc)
{
	uint64_t window = largest_window(sc->s, SZ_2M, &sc->base);
	unsigned long n = window / (2 * page_size);
	FILE *f;
	long limit;

	/* type1 refuses mappings past its dma_entry_limit; churn needs one. */
	if (sc->s->path == TYPE1) {
		f = fopen(TYPE1_LIMIT, "r");
		if (f && fscanf(f, "%ld", &limit) == 1 && limit > 0 &&
		    (unsigned long)limit <= n)
			n = limit - 1;
		if (f)
			fclose(f);
	}
	/* The vhost IOTLB holds iotlb_limit entries; churn needs one more. */
	if (sc->s->path == VDPA_IOTLB && (unsigned long)vdpa.iotlb_limit <= n)
		n = vdpa.iotlb_limit ? vdpa.iotlb_limit - 1 : 0;
	return n;
}

/* The most live mappings a path alone can hold here. */
static unsigned long reachable(struct scale *sc)
{
	unsigned long n = iova_reach(sc), fit;
	struct meminfo m;

	/* Half the available memory at most, so that a small guest lives. */
	read_meminfo(&m);
	fit = m.available * 1024 / 2 / MAPPING_BYTES;
	return fit < n ? fit : n;
}

static bool is_count(unsigned long n, unsigned int *index)
{
	unsigned int i;

	for (i = 0; i < cfg.nr_counts; i++) {
		if (cfg.counts[i] == n) {
			*index = i;
			return true;
		}
	}
	return false;
}

/* The next count of the list above @live. */
static unsigned long next_stage(unsigned long live)
{
	unsigned long next = ULONG_MAX;
	unsigned int i;

	for (i = 0; i < cfg.nr_counts; i++)
		if (cfg.counts[i] > live && cfg.counts[i] < next)
			next = cfg.counts[i];
	return next;
}

/* The kernel memory one live mapping costs, page tables included. */
static void add_per_mapping(struct scale *sc, const struct churn_level *lv)
{
	struct meminfo now;
	long d[4];

	read_meminfo(&now);
	kmem_deltas(&sc->before, &now, d);
	add_sample(lv->per_mapping[0], sc->s->path, (double)d[0] / sc->live);
	add_sample(lv->per_mapping[1], sc->s->path,
		   (double)(d[0] + d[1] + d[2] + d[3]) / sc->live);
}

/* The seconds growing to @n live mappings would take, at the best rate. */
static double grow_estimate(const struct scale *sc, unsigned long n)
{
	return (n - sc->live) * sc->map_ns / 1e9;
}

/* Stops at a count that does not fit, saying why in a note. */
static bool stage_fits(struct scale *sc, unsigned long n, unsigned long reach)
{
	const char *name = path_ops[sc->s->path].name;
	char text[200], count[24];
	double more;

	count_text(n, count, sizeof(count));
	if (n > reach) {
		snprintf(text, sizeof(text),
			 "%s: no %s live mappings: at most %lu fit its IOVA space, entry limit or memory",
			 name, count, reach);
		add_note(text);
		return false;
	}
	more = grow_estimate(sc, n);
	if (cfg.budget_s && sc->grow_ns / 1e9 + more > cfg.budget_s) {
		snprintf(text, sizeof(text),
			 "%s: no %s live mappings: setting them up would take %.0f s more, over the %u s budget (-t)",
			 name, count, more, cfg.budget_s);
		add_note(text);
		return false;
	}
	return true;
}

static void scale_reset(struct scale *sc, struct session *s)
{
	sc->s = s;
	sc->live = 0;
	sc->grow_ns = 0;
	sc->map_ns = 0;
}

/* A new session of @p, with nothing mapped yet, for @sc to grow. */
static bool scale_begin(struct scale *sc, struct session *s, enum path_id p,
			struct outcome *o)
{
	if (!start_rep(s, p, o, true))
		return false;
	scale_reset(sc, s);
	/* What the last path tore down may still be on its way out. */
	settle();
	read_meminfo(&sc->before);
	return true;
}

/*
 * The paths of unmap-one whose sessions are open side by side: paths of
 * one kind, so that those compared in one table are timed together, each
 * on a device of its own.  The VFIO paths take an edu each while there
 * are enough, the vhost-vdpa paths share one device, so go one at a time,
 * and the mocks need none.
 */
struct unmap_group {
	unsigned int paths;	/* bit per path */
	enum path_id order[NR_PATHS];	/* those that can run, in order */
	unsigned int nr;	/* paths in @order */
	unsigned int active;	/* those still open and growing */
	const struct bench_edu *dev[NR_PATHS];
	struct scale sc[NR_PATHS];
	struct session s[NR_PATHS];
	struct outcome *o;	/* per path */
	struct meminfo before;	/* before the group's sessions opened */
	double per_mapping;	/* bytes a live mapping took, lately */
};

enum path_kind { KIND_EDU, KIND_MOCK, KIND_VDPA };

static enum path_kind path_kind(enum path_id p)
{
	if (path_ops[p].mock)
		return KIND_MOCK;
	return path_ops[p].vdpa ? KIND_VDPA : KIND_EDU;
}

/* The edu for the @i-th VFIO path of a group, or NULL when none is left. */
static const struct bench_edu *nth_edu(unsigned int i)
{
	if (!i)
		return &edu;
	return i <= nr_other_edus ? &other_edus[i - 1] : NULL;
}

/* Takes the next group out of @left, the paths not run yet. */
static void next_group(struct unmap_group *g, unsigned int *left)
{
	enum path_id first = __builtin_ctz(*left), p;
	unsigned int edus = 0;

	g->paths = 0;
	g->nr = 0;
	for (p = first; p < NR_PATHS; p++) {
		if (!(*left & (1U << p)) || path_kind(p) != path_kind(first))
			continue;
		g->dev[p] = &edu;
		/* A path that cannot run holds no device. */
		if (path_kind(p) == KIND_EDU && !unavailable[p][0]) {
			g->dev[p] = nth_edu(edus);
			if (!g->dev[p])
				continue;
			edus++;
		}
		if (path_kind(p) == KIND_VDPA && g->paths)
			continue;
		g->paths |= 1U << p;
		if (!unavailable[p][0])
			g->order[g->nr++] = p;
	}
	*left &= ~g->paths;
}

static void group_drop(struct unmap_group *g, enum path_id p)
{
	/* Closing tears the mappings down; that is not timed. */
	session_close(&g->s[p]);
	g->active &= ~(1U << p);
}

static void group_fail(struct unmap_group *g, enum path_id p, int err)
{
	fail_at(&g->o[p], g->s[p].step, err);
	group_drop(g, p);
}

/*
 * The device of @p in @round: the VFIO paths that run pass their edu on
 * to the next one in the group's order each round, so that no path has
 * the same one throughout.
 */
static const struct bench_edu *round_dev(const struct unmap_group *g,
					 enum path_id p, unsigned int round)
{
	unsigned int k;

	if (path_kind(p) != KIND_EDU)
		return g->dev[p];
	for (k = 0; k < g->nr; k++)
		if (g->order[k] == p)
			return g->dev[g->order[(k + round) % g->nr]];
	return g->dev[p];
}

static void group_open(struct unmap_group *g, const struct scale *tmpl,
		       unsigned int round)
{
	const struct bench_edu *dev;
	enum path_id p;
	int ret;

	/* What the last group tore down may still be on its way out. */
	settle();
	read_meminfo(&g->before);
	g->active = 0;
	for (p = 0; p < NR_PATHS; p++) {
		/* A path that failed or was skipped in an earlier round */
		if (!(g->paths & (1U << p)) || g->o[p].fail || g->o[p].skip)
			continue;
		if (unavailable[p][0]) {
			skip_because(&g->o[p], unavailable[p]);
			continue;
		}
		dev = round_dev(g, p, round);
		if (path_kind(p) == KIND_EDU)
			printf("# unmap-one: %s on edu %s\n", path_ops[p].name,
			       dev->pci);
		ret = session_open_on(&g->s[p], p, dev);
		if (ret) {
			fail_at(&g->o[p], g->s[p].step, ret);
			continue;
		}
		g->sc[p] = *tmpl;
		scale_reset(&g->sc[p], &g->s[p]);
		g->active |= 1U << p;
	}
}

/*
 * Whether growing every open path to @n live mappings leaves half the
 * memory available now, at what a mapping has cost the group so far, or
 * in an earlier round, whose teardown may end only after this round's
 * baseline; MAPPING_BYTES before any.
 */
static bool group_memory_fits(struct unmap_group *g, unsigned long n)
{
	unsigned long live = 0, more = 0;
	double per = g->per_mapping;
	char text[200], count[24];
	struct meminfo now;
	enum path_id p;

	for (p = 0; p < NR_PATHS; p++) {
		if (!(g->active & (1U << p)))
			continue;
		live += g->sc[p].live;
		more += n - g->sc[p].live;
	}
	read_meminfo(&now);
	if (live && g->before.available > now.available)
		per = (g->before.available - now.available) * 1024.0 / live;
	/* One reading too close to the last says little. */
	if (per < MAPPING_BYTES / 8)
		per = MAPPING_BYTES / 8;
	if (live)
		g->per_mapping = per;
	if (more * per <= now.available * 1024.0 / 2)
		return true;
	snprintf(text, sizeof(text),
		 "unmap-one: no %s live mappings: %lu more at %.0f B each would take over half the %ld MiB available",
		 count_text(n, count, sizeof(count)), more, per,
		 now.available >> 10);
	add_note(text);
	return false;
}

/*
 * Grows every open path of @g to @n live mappings, or drops it, one path
 * after the other, starting at the @round-th.
 */
static void group_grow(struct unmap_group *g, unsigned long n,
		       unsigned int round)
{
	struct scale *sc;
	enum path_id p;
	unsigned int k;
	bool late;
	int ret;

	for (k = 0; k < g->nr; k++) {
		p = g->order[(round + k) % g->nr];
		sc = &g->sc[p];
		if (!(g->active & (1U << p)))
			continue;
		if (!stage_fits(sc, n, iova_reach(sc))) {
			group_drop(g, p);
			continue;
		}
		ret = grow(sc, n, &late);
		if (ret)
			group_fail(g, p, ret);
		else if (late)
			group_drop(g, p);
	}
}

/*
 * The repetitions of @round at count @i, in turns: every open path takes
 * its r-th before any takes its next, each seeing the same IOVAs.  The
 * rounds together take no more than a figure holds.
 */
static void group_measure(struct unmap_group *g, unsigned int i,
			  unsigned int round)
{
	unsigned int reps = cfg.reps, r, k;
	enum path_id p;
	int ret;

	if (reps * g->nr > MAX_REPS)
		reps = MAX_REPS / g->nr;
	for (r = 0; r < reps; r++) {
		for (k = 0; k < NR_PATHS; k++) {
			p = turn(r, k);
			if (!(g->active & (1U << p)))
				continue;
			rnd_restart(round * reps + r);
			profile_begin();
			ret = unmap_one_rep(&g->sc[p], g->sc[p].one[i]);
			profile_end(g->sc[p].one[i][ONE_UNMAP]->name,
				    path_ops[p].name);
			if (ret)
				group_fail(g, p, ret);
		}
	}
}

/*
 * A round of @g: new sessions, grown through the counts with the paths in
 * the round's order, and measured at each.
 */
static void unmap_one_round(struct unmap_group *g, const struct scale *tmpl,
			    unsigned int round)
{
	unsigned long n;
	unsigned int i;
	enum path_id p;

	group_open(g, tmpl, round);
	for (n = next_stage(0); g->active && n != ULONG_MAX;
	     n = next_stage(n)) {
		if (!group_memory_fits(g, n))
			break;
		group_grow(g, n, round);
		if (is_count(n, &i))
			group_measure(g, i, round);
	}
	for (p = 0; p < NR_PATHS; p++)
		if (g->active & (1U << p))
			group_drop(g, p);
}

/*
 * Where a path's mappings land in the allocators, which the paths grown
 * before it have left in pieces, moves its rows by up to twice.  So each
 * path of @g grows first in one round, second in another, and so on, on
 * another edu each round; the figures take the repetitions of every
 * round.
 */
static void unmap_one_group(struct unmap_group *g, const struct scale *tmpl)
{
	unsigned int round;

	g->per_mapping = MAPPING_BYTES;
	/* One round at least, which says why the paths cannot run. */
	for (round = 0; round < g->nr || !round; round++) {
		if (g->nr)
			printf("# unmap-one: round %u of %u, %s grows first\n",
			       round + 1, g->nr,
			       path_ops[g->order[round]].name);
		unmap_one_round(g, tmpl, round);
	}
}

static void run_unmap_one(const struct scale *sc)
{
	struct outcome o[NR_PATHS] = {};
	static struct unmap_group g;
	unsigned int left = 0, i;
	enum path_id p;

	for (p = 0; p < NR_PATHS; p++)
		if (selected(T_UNMAP_ONE, p))
			left |= 1U << p;
	g.o = o;
	while (left) {
		next_group(&g, &left);
		unmap_one_group(&g, sc);
	}
	for (p = 0; p < NR_PATHS; p++) {
		if (!selected(T_UNMAP_ONE, p))
			continue;
		report(T_UNMAP_ONE, p, &o[p]);
		for (i = 0; i < cfg.nr_counts; i++)
			emit_figures(sc->one[i], NR_ONE_FIGURES, p);
	}
}

static const struct churn_level *churn_level(const struct scale *sc,
					     enum path_id p)
{
	return &sc->churn[path_ops[p].vdpa];
}

/* Grows a new session of @p to the churn level, and churns once. */
static void churn_once(struct scale *sc, enum path_id p, struct outcome *o)
{
	const struct churn_level *lv = churn_level(sc, p);
	struct session s;
	bool late = true;
	int ret = 0;

	if (!scale_begin(sc, &s, p, o))
		return;
	/* Both say why in a note. */
	if (stage_fits(sc, lv->live, reachable(sc)))
		ret = grow(sc, lv->live, &late);
	if (late) {
		skip_because(o, "its live mappings did not fit, see the notes");
	} else if (!ret) {
		/* The floor's live mappings are ours': so is their memory. */
		if (!path_ops[p].map_unmap)
			add_per_mapping(sc, lv);
		ret = churn_rep(sc, lv);
	}
	if (ret)
		fail_at(o, s.step, ret);
	session_close(&s);
}

static void run_churn(struct scale *sc)
{
	struct outcome o[NR_PATHS] = {};
	unsigned int r, i;
	enum path_id p;

	for (r = 0; r < cfg.reps; r++) {
		for (i = 0; i < NR_PATHS; i++) {
			p = turn(r, i);
			if (!selected(T_CHURN, p))
				continue;
			rnd_restart(r);
			churn_once(sc, p, &o[p]);
		}
	}
	for (p = 0; p < NR_PATHS; p++) {
		if (!selected(T_CHURN, p))
			continue;
		report(T_CHURN, p, &o[p]);
		emit_data(churn_level(sc, p)->time, p);
		emit_figures(churn_level(sc, p)->per_mapping,
			     ARRAY_SIZE(sc->churn[0].per_mapping), p);
	}
}

static void churn_figures(struct churn_level *lv, unsigned long live)
{
	char name[48], count[24];

	lv->live = live;
	count_text(live, count, sizeof(count));
	snprintf(name, sizeof(name), "churn 4k @%s", count);
	lv->time = new_figure(name, "us");
	snprintf(name, sizeof(name), "Slab per mapping @%s", count);
	lv->per_mapping[0] = new_figure(name, "B");
	snprintf(name, sizeof(name), "kmem per mapping @%s", count);
	lv->per_mapping[1] = new_figure(name, "B");
}

/* The vDPA paths churn among as many live mappings as the IOTLB holds. */
static void vdpa_churn_figures(struct scale *sc)
{
	unsigned long live = cfg.churn_live;
	char text[200], count[24];

	if (live > VDPA_CHURN_LIVE)
		live = VDPA_CHURN_LIVE;
	if (vdpa.iotlb_limit > 1 && live > (unsigned long)vdpa.iotlb_limit - 1)
		live = vdpa.iotlb_limit - 1;
	if (live == cfg.churn_live ||
	    !(cfg.paths & VDPA_PATHS) || !(cfg.tests & (1U << T_CHURN))) {
		sc->churn[1] = sc->churn[0];
		return;
	}
	churn_figures(&sc->churn[1], live);
	snprintf(text, sizeof(text),
		 "vdpa, vdpa-iotlb: churn among %s live mappings, which the %ld entries of the vhost IOTLB hold",
		 count_text(live, count, sizeof(count)), vdpa.iotlb_limit);
	add_note(text);
}

static void scale_figures(struct scale *sc)
{
	char name[48], count[24];
	unsigned int i, first, f;

	/* Unmap and map at every count, then both again at every count. */
	for (first = ONE_UNMAP; first < NR_ONE_FIGURES; first += 2) {
		for (i = 0; i < cfg.nr_counts; i++) {
			count_text(cfg.counts[i], count, sizeof(count));
			for (f = first; f < first + 2; f++) {
				snprintf(name, sizeof(name), one_formats[f],
					 count);
				sc->one[i][f] = new_figure(name, "us");
			}
		}
	}
	churn_figures(&sc->churn[0], cfg.churn_live);
	vdpa_churn_figures(sc);
}

void run_scale(void)
{
	struct scale sc = {};
	struct buffer pool = {};

	if (!(cfg.tests & ((1U << T_UNMAP_ONE) | (1U << T_CHURN))))
		return;
	scale_figures(&sc);
	if (buffer_alloc(&pool, BACK_4K, POOL_PAGES * page_size)) {
		printf("# cannot allocate %d pages\n", POOL_PAGES);
		return;
	}
	sc.pool = pool.buf;
	run_unmap_one(&sc);
	run_churn(&sc);
	buffer_free(&pool);
}
