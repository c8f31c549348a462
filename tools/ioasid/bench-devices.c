// SPDX-License-Identifier: GPL-2.0-only
/*
 * ioasid-bench: more devices in one address space, and a second page
 * table.  A 4 KiB and a 2 MiB map and unmap, timed over a batch each,
 * with one device attached, two and four sharing one table, and two in
 * two tables: the second table costs what two tables take over one
 * device.  The tables are counted (ours' fdinfo, the HWPTs iommufd
 * reports), not assumed.
 *
 * On the mock paths every device is a mock one.  For a second table, ours
 * adds a mock device that refuses dirty tracking, which the dirty-capable
 * table of the first cannot take: the same page sizes and aperture, a
 * table of its own.  No iommufd mock device refuses a table; iommufd lets
 * its caller choose instead, and the second device gets an HWPT of its
 * own, allocated on the same IOAS.
 *
 * On the edu paths the devices that share edu's table are the other edu,
 * each bound to the session's fd through its own cdev; the second table
 * is a mock device's beside edu's, which no edu can share: a table of
 * another IOMMU.
 */
#include "bench.h"

#define MAX_DEVICES	4
/* Map and unmap pairs per batch, 4 KiB and 2 MiB; smoke sizes below. */
#define PAIRS_4K	1000
#define PAIRS_2M	100

enum dev_setup { ONE_DEV, TWO_DEVS, FOUR_DEVS, TWO_TABLES, NR_SETUPS };

static const struct {
	const char *name;
	unsigned int devices;
	unsigned int tables;
} setups[NR_SETUPS] = {
	[ONE_DEV] = { "1 dev", 1, 1 },
	[TWO_DEVS] = { "2 dev 1 table", 2, 1 },
	[FOUR_DEVS] = { "4 dev 1 table", 4, 1 },
	[TWO_TABLES] = { "2 dev 2 tables", 2, 2 },
};

enum dev_size { SIZE_4K, SIZE_2M, NR_SIZES };

struct devices {
	struct buffer buf[NR_SIZES];
	uint64_t len[NR_SIZES];
	unsigned int pairs[NR_SIZES];
	struct figure *cost[NR_SIZES][NR_SETUPS];	/* us per map+unmap */
	struct figure *second[NR_SIZES];		/* 2 tables / 1 dev */
	bool mock_beside[NR_PATHS];	/* an edu path can add a mock device */
};

/* The cdev fds of the edu a setup added, closed before the session. */
struct added_edus {
	int fd[MAX_DEVICES];
	unsigned int nr;
};

static const char *no_devices(enum path_id p)
{
	if (!path_ops[p].add_mock)
		return "only /dev/ioasid and iommufd, on edu and the mocks, add mock devices";
	return NULL;
}

/* Whether this boot has the devices that setup @d needs on path @p. */
static bool setup_fits(const struct devices *dv, enum path_id p,
		       enum dev_setup d)
{
	if (path_ops[p].mock)
		return true;
	if (d == TWO_TABLES)
		return dv->mock_beside[p];
	return setups[d].devices - 1 <= nr_other_edus;
}

/*
 * Records in @dv whether edu path @p can add a mock device beside edu,
 * and notes why not where it cannot: iommufd's mock device is refused
 * where the kernel gave the IOMMU of devices without a firmware node to
 * another driver (VT-d).
 */
static void probe_mock_beside(struct devices *dv, enum path_id p)
{
	struct session s;
	char text[200];
	uint32_t hwpt;
	int ret;

	if (path_ops[p].mock || session_open(&s, p, true))
		return;
	ret = path_ops[p].add_mock(&s, s.as_id, false, &hwpt);
	if (ret) {
		snprintf(text, sizeof(text),
			 "devs: %s: no mock device beside edu: %s: %s",
			 path_ops[p].name, s.step, strerror(ret));
		add_note(text);
	}
	dv->mock_beside[p] = !ret;
	session_close(&s);
}

/*
 * Device @i of setup @d beside the one session_open() attached: a mock
 * device, or on the edu paths another edu while they share a table.
 */
static int add_device(struct session *s, enum dev_setup d, unsigned int i,
		      struct added_edus *added, uint32_t *hwpt)
{
	const struct path_ops *ops = &path_ops[s->path];
	int ret;

	if (ops->mock || d == TWO_TABLES)
		return ops->add_mock(s, s->as_id, ops->mock && d == TWO_TABLES,
				     hwpt);
	ret = session_add_edu(s, &other_edus[i - 1], &added->fd[added->nr],
			      hwpt);
	if (added->fd[added->nr] >= 0)
		added->nr++;
	return ret;
}

/*
 * Adds the devices of setup @d beside the one session_open() attached,
 * then checks that they go through as many tables as @d says.
 */
static int add_devices(struct session *s, enum dev_setup d,
		       struct added_edus *added, char *why, size_t len)
{
	const struct path_ops *ops = &path_ops[s->path];
	uint32_t hwpts[MAX_DEVICES] = { s->hwpt_id };
	unsigned int i, tables;
	int ret;

	for (i = 1; i < setups[d].devices; i++) {
		ret = add_device(s, d, i, added, &hwpts[i]);
		if (ret)
			return ret;
	}
	ret = session_tables(s, hwpts, setups[d].devices, &tables);
	if (!ret && tables != setups[d].tables) {
		snprintf(why, len, "%u devices went through %u tables, not %u",
			 setups[d].devices, tables, setups[d].tables);
		return EPROTO;
	}
	/* A device of its own kind can narrow the usable IOVAs. */
	return ret ? ret : ops->ranges(s);
}

/* The mean us of @n pairs of map and unmap of @len bytes at @iova. */
static int time_pairs(struct session *s, void *va, uint64_t len,
		      uint64_t iova, unsigned int n, double *us)
{
	const struct path_ops *ops = &path_ops[s->path];
	uint64_t t0 = now_ns();
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		s->step = ops->map_name;
		ret = ops->map(s, va, len, iova);
		if (ret)
			return ret;
		s->step = ops->unmap_name;
		ret = ops->unmap(s, iova, len);
		if (ret)
			return ret;
	}
	*us = (now_ns() - t0) / 1e3 / n;
	return 0;
}

/* Both sizes of @p in setup @d, in a session of its own. */
static int setup_once(struct devices *dv, enum path_id p, enum dev_setup d,
		      double *us, struct outcome *o)
{
	struct added_edus added = {};
	char why[120] = "";
	struct session s;
	uint64_t iova;
	unsigned int k;
	int ret;

	if (!start_rep(&s, p, o, true))
		return -1;
	ret = add_devices(&s, d, &added, why, sizeof(why));
	if (!ret) {
		s.step = "finding an IOVA window";
		ret = pick_iova(&s, SZ_2M, SZ_2M, &iova) ? 0 : ERANGE;
	}
	for (k = 0; !ret && k < NR_SIZES; k++)
		ret = time_pairs(&s, dv->buf[k].buf, dv->len[k], iova,
				 dv->pairs[k], &us[k]);
	if (ret == EPROTO && why[0]) {
		o->fail = true;
		snprintf(o->why, sizeof(o->why), "%s", why);
	} else if (ret) {
		fail_at(o, s.step, ret);
	}
	while (added.nr)
		close(added.fd[--added.nr]);
	session_close(&s);
	return ret ? -1 : 0;
}

/* One round of @p: each setup it can have, then the second table's cost. */
static void devices_round(struct devices *dv, enum path_id p, unsigned int r,
			  struct outcome *o)
{
	double us[NR_SETUPS][NR_SIZES];
	bool done[NR_SETUPS] = {};
	enum dev_setup d;
	unsigned int i, k;

	for (i = 0; i < NR_SETUPS; i++) {
		/* Every other round backwards, so that no setup always leads. */
		d = r % 2 ? NR_SETUPS - 1 - i : i;
		if (!setup_fits(dv, p, d) || setup_once(dv, p, d, us[d], o))
			continue;
		done[d] = true;
		for (k = 0; k < NR_SIZES; k++)
			add_sample(dv->cost[k][d], p, us[d][k]);
	}
	if (!done[ONE_DEV] || !done[TWO_TABLES])
		return;
	for (k = 0; k < NR_SIZES; k++)
		add_sample(dv->second[k], p, us[TWO_TABLES][k] / us[ONE_DEV][k]);
}

static void devices_figures(struct devices *dv)
{
	static const char *const sizes[NR_SIZES] = { "4k", "2M" };
	char name[48];
	enum dev_setup d;
	unsigned int k;

	for (k = 0; k < NR_SIZES; k++) {
		for (d = 0; d < NR_SETUPS; d++) {
			snprintf(name, sizeof(name), "devs %s %s", sizes[k],
				 setups[d].name);
			dv->cost[k][d] = new_figure(name, "us");
		}
		snprintf(name, sizeof(name), "devs %s 2 tables/1 dev", sizes[k]);
		dv->second[k] = new_figure(name, "x");
	}
}

/* A 4 KiB page and 2 MiB of THP, or why not. */
static const char *devices_buffers(struct devices *dv)
{
	char text[120];

	dv->len[SIZE_4K] = page_size;
	dv->len[SIZE_2M] = SZ_2M;
	dv->pairs[SIZE_4K] = cfg.smoke ? PAIRS_4K / 50 : PAIRS_4K;
	dv->pairs[SIZE_2M] = cfg.smoke ? PAIRS_2M / 25 : PAIRS_2M;
	if (buffer_alloc(&dv->buf[SIZE_4K], BACK_4K, page_size) ||
	    buffer_alloc(&dv->buf[SIZE_2M], BACK_THP, SZ_2M))
		return "cannot allocate the buffers";
	if (anon_huge_kb(dv->buf[SIZE_2M].buf) < SZ_2M / 1024) {
		snprintf(text, sizeof(text),
			 "devs 2M: the buffer is not one THP (%lu kB huge)",
			 anon_huge_kb(dv->buf[SIZE_2M].buf));
		add_note(text);
	}
	return NULL;
}

/* Which edu rows this boot cannot give, and what the second table is. */
static void note_edu(void)
{
	char text[120];

	if (nr_other_edus < setups[FOUR_DEVS].devices - 1) {
		snprintf(text, sizeof(text),
			 "devs: edu: %u other edu in groups of their own, %u for four devices",
			 nr_other_edus, setups[FOUR_DEVS].devices - 1);
		add_note(text);
	}
	add_note("devs: edu, 2 tables: edu and a mock device beside it");
}

void run_devices(void)
{
	struct outcome o[NR_PATHS] = {};
	struct devices dv = {};
	const char *why;
	unsigned int r, i, k;
	enum path_id p;

	if (!(cfg.tests & (1U << T_DEVICES)))
		return;
	devices_figures(&dv);
	why = devices_buffers(&dv);
	for (p = 0; p < NR_PATHS; p++) {
		if (no_devices(p))
			skip_because(&o[p], no_devices(p));
		else if (why)
			skip_because(&o[p], why);
	}
	for (p = 0; p < NR_PATHS; p++)
		if (selected(T_DEVICES, p) && !o[p].skip)
			probe_mock_beside(&dv, p);
	for (r = 0; r < cfg.reps; r++) {
		for (i = 0; i < NR_PATHS; i++) {
			p = turn(r, i);
			if (selected(T_DEVICES, p))
				devices_round(&dv, p, r, &o[p]);
		}
	}
	for (p = 0; p < NR_PATHS; p++) {
		if (!selected(T_DEVICES, p))
			continue;
		report(T_DEVICES, p, &o[p]);
		for (k = 0; k < NR_SIZES; k++) {
			emit_figures(dv.cost[k], NR_SETUPS, p);
			emit_data(dv.second[k], p);
		}
	}
	if (selected(T_DEVICES, OURS) || selected(T_DEVICES, IOMMUFD))
		note_edu();
	for (k = 0; k < NR_SIZES; k++)
		buffer_free(&dv.buf[k]);
}
