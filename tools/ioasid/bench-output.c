// SPDX-License-Identifier: GPL-2.0-only
/*
 * ioasid-bench: what it prints: the notes, the machine-readable
 * bench-data lines, one TAP result per workload and path, the header of
 * the run and the tables of medians and ratios.
 */
#include "bench.h"

unsigned int tap_number, tap_failed;
static char notes[24][200];
static unsigned int nr_notes;

void add_note(const char *text)
{
	unsigned int i;

	/* A workload that runs in rounds may have the same thing to say. */
	for (i = 0; i < nr_notes; i++)
		if (!strcmp(notes[i], text))
			return;
	if (nr_notes < ARRAY_SIZE(notes))
		snprintf(notes[nr_notes++], sizeof(notes[0]), "%s", text);
}

/* 1000 as 1k and 1000000 as 1M, as the counts are given. */
const char *count_text(unsigned long n, char *buf, size_t len)
{
	if (n >= 1000000 && n % 1000000 == 0)
		snprintf(buf, len, "%luM", n / 1000000);
	else if (n >= 1000 && n % 1000 == 0)
		snprintf(buf, len, "%luk", n / 1000);
	else
		snprintf(buf, len, "%lu", n);
	return buf;
}

const char *size_text(uint64_t bytes, char *buf, size_t len)
{
	if (bytes >= SZ_1G && bytes % SZ_1G == 0)
		snprintf(buf, len, "%lluG", (unsigned long long)(bytes >> 30));
	else
		snprintf(buf, len, "%lluM", (unsigned long long)(bytes >> 20));
	return buf;
}

/* The machine-readable line of one figure on one path. */
void emit_data(const struct figure *f, enum path_id p)
{
	char name[sizeof(f->name)];
	struct stats st;
	char *c;

	snprintf(name, sizeof(name), "%s", f->name);
	for (c = name; *c; c++)
		if (*c == ' ')
			*c = '-';
	if (figure_stats(f, p, &st))
		printf("bench-data: %s %s %.6g %.6g %.6g %s\n", name,
		       path_ops[p].name, st.median, st.min, st.max, f->unit);
	else
		printf("bench-data: %s %s n/a n/a n/a %s\n", name,
		       path_ops[p].name, f->unit);
}

void emit_figures(struct figure *const *figs, unsigned int nr,
		  enum path_id p)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		emit_data(figs[i], p);
}

void skip_because(struct outcome *o, const char *why)
{
	o->skip = true;
	snprintf(o->why, sizeof(o->why), "%s", why);
}

void fail_at(struct outcome *o, const char *step, int err)
{
	o->fail = true;
	snprintf(o->why, sizeof(o->why), "%s: %s", step, strerror(err));
}

void report(enum test_id t, enum path_id p, const struct outcome *o)
{
	tap_number++;
	if (o->fail) {
		tap_failed++;
		printf("# %s %s: %s\n", test_names[t], path_ops[p].name, o->why);
		printf("not ok %u %s %s\n", tap_number, test_names[t],
		       path_ops[p].name);
	} else if (o->skip) {
		printf("ok %u %s %s # SKIP %s\n", tap_number, test_names[t],
		       path_ops[p].name, o->why);
	} else {
		printf("ok %u %s %s\n", tap_number, test_names[t],
		       path_ops[p].name);
	}
	fflush(stdout);
}

/* The tables */

#define CELL_WIDTH	24

static void format_value(double v, char *buf, size_t len)
{
	double a = v < 0 ? -v : v;

	if (a >= 100)
		snprintf(buf, len, "%.0f", v);
	else if (a >= 10)
		snprintf(buf, len, "%.1f", v);
	else
		snprintf(buf, len, "%.2f", v);
}

static void format_cell(const struct figure *f, enum path_id p, char *buf,
			size_t len)
{
	char med[16], lo[16], hi[16];
	struct stats st;

	if (!(cfg.paths & (1U << p)) || !figure_stats(f, p, &st)) {
		snprintf(buf, len, "n/a");
		return;
	}
	format_value(st.median, med, sizeof(med));
	format_value(st.min, lo, sizeof(lo));
	format_value(st.max, hi, sizeof(hi));
	snprintf(buf, len, "%s [%s..%s]", med, lo, hi);
}

static void format_ratio(const struct figure *f, enum path_id a,
			 enum path_id b, char *buf, size_t len)
{
	struct stats sa, sb;

	/* Memory deltas can be 0 or below: no ratio then. */
	if (!figure_stats(f, a, &sa) || !figure_stats(f, b, &sb) ||
	    sa.median <= 0 || sb.median <= 0)
		snprintf(buf, len, "n/a");
	else
		snprintf(buf, len, "%.2f", sa.median / sb.median);
}

static void print_row(const struct figure *f, const enum path_id *paths,
		      unsigned int nr_paths, const enum path_id (*ratios)[2],
		      unsigned int nr_ratios, bool marks)
{
	char cell[64], line[512];
	unsigned int i;
	int used;

	used = snprintf(line, sizeof(line), "%-26s %-6s", f->name, f->unit);
	for (i = 0; i < nr_paths; i++) {
		format_cell(f, paths[i], cell, sizeof(cell));
		used += snprintf(line + used, sizeof(line) - used, " %-*s",
				 CELL_WIDTH, cell);
	}
	for (i = 0; i < nr_ratios; i++) {
		format_ratio(f, ratios[i][0], ratios[i][1], cell, sizeof(cell));
		used += snprintf(line + used, sizeof(line) - used, " %-13s",
				 cell);
	}
	if (marks && f->mark)
		snprintf(line + used, sizeof(line) - used, " %s", f->mark);
	printf("bench: %s\n", line);
}

static void print_head(const char *title, const enum path_id *paths,
		       unsigned int nr_paths, const enum path_id (*ratios)[2],
		       unsigned int nr_ratios)
{
	char head[512], name[40];
	unsigned int i;
	int used;

	printf("bench:\nbench: %s\n", title);
	used = snprintf(head, sizeof(head), "%-26s %-6s", "workload", "unit");
	for (i = 0; i < nr_paths; i++)
		used += snprintf(head + used, sizeof(head) - used, " %-*s",
				 CELL_WIDTH, path_ops[paths[i]].name);
	for (i = 0; i < nr_ratios; i++) {
		snprintf(name, sizeof(name), "%s/%s",
			 path_ops[ratios[i][0]].name,
			 path_ops[ratios[i][1]].name);
		used += snprintf(head + used, sizeof(head) - used, " %-13s",
				 name);
	}
	printf("bench: %s\n", head);
}

static void print_table(const char *title, const enum path_id *paths,
			unsigned int nr_paths, const enum path_id (*ratios)[2],
			unsigned int nr_ratios, bool marks)
{
	unsigned int i;

	print_head(title, paths, nr_paths, ratios, nr_ratios);
	for (i = 0; i < nr_figures; i++)
		print_row(&figures[i], paths, nr_paths, ratios, nr_ratios,
			  marks);
}

/*
 * Ours against the floor, in the rows the floor has: the timed maps and
 * unmaps.  ours/floor is what ours costs over what any implementation
 * must do.
 */
static void print_floor_table(void)
{
	static const enum path_id paths[] = { OURS, FLOOR };
	static const enum path_id ratios[][2] = { { OURS, FLOOR } };
	struct stats st;
	unsigned int i;

	print_head("ours against the floor, on edu: median [min..max]", paths,
		   ARRAY_SIZE(paths), ratios, ARRAY_SIZE(ratios));
	for (i = 0; i < nr_figures; i++)
		if (figure_stats(&figures[i], FLOOR, &st))
			print_row(&figures[i], paths, ARRAY_SIZE(paths),
				  ratios, ARRAY_SIZE(ratios), true);
}

/* What the floor does, and the ioctl its figures include. */
static void print_floor_notes(void)
{
	printf("bench: note: %s\n",
	       "floor: on ours' session, one IOASID_TEST_FLOOR per map and unmap, timed in the kernel; in 1 of N and churn, of one more page among the same N live mappings");
	printf("bench: note: %s\n",
	       "floor: keeping nothing, it unmaps only what it has just mapped: in 1 of N, the rows \"again\", where ours and the others unmap the mapping they have just mapped again, not one made long ago");
	printf("bench: note: %s\n",
	       "floor: no attach, dirty or kernel memory figures: it keeps nothing, and attaches and holds its live mappings as ours does");
	if (!unavailable[FLOOR][0])
		printf("bench: note: floor figures include %llu ns, %s\n",
		       (unsigned long long)null_ioctl_ns,
		       "the median round trip of an ioctl that does nothing");
}

void print_tables(void)
{
	static const enum path_id device_paths[] = { OURS, IOMMUFD, TYPE1 };
	static const enum path_id device_ratios[][2] = {
		{ OURS, IOMMUFD }, { OURS, TYPE1 },
	};
	static const enum path_id mock_paths[] = { OURS_MOCK, IOMMUFD_MOCK };
	static const enum path_id mock_ratios[][2] = {
		{ OURS_MOCK, IOMMUFD_MOCK },
	};
	static const enum path_id vdpa_paths[] = { VDPA, VDPA_IOTLB };
	static const enum path_id vdpa_ratios[][2] = { { VDPA, VDPA_IOTLB } };
	unsigned int i;

	print_table("edu behind the emulated IOMMU: median [min..max]",
		    device_paths, ARRAY_SIZE(device_paths), device_ratios,
		    ARRAY_SIZE(device_ratios), true);
	print_table("mock IOMMUs, software cost only: median [min..max]",
		    mock_paths, ARRAY_SIZE(mock_paths), mock_ratios,
		    ARRAY_SIZE(mock_ratios), false);
	if (cfg.paths & VDPA_PATHS)
		print_table("vhost-vdpa on vp_vdpa behind the emulated IOMMU: median [min..max]",
			    vdpa_paths, ARRAY_SIZE(vdpa_paths), vdpa_ratios,
			    ARRAY_SIZE(vdpa_ratios), true);
	if (cfg.paths & (1U << FLOOR))
		print_floor_table();
	printf("bench:\n");
	printf("bench: note: a mock attach creates the mock device, a mock detach destroys it\n");
	printf("bench: note: iommufd's mock IOMMU has 2 KiB pages, ours 4 KiB and 2 MiB\n");
	if (cfg.paths & VDPA_PATHS)
		printf("bench: note: %s\n",
		       "vdpa maps with IOASID_MAP, bound to /dev/ioasid; vdpa-iotlb with vhost IOTLB messages, which pin page by page");
	if (cfg.paths & (1U << FLOOR))
		print_floor_notes();
	for (i = 0; i < nr_notes; i++)
		printf("bench: note: %s\n", notes[i]);
	for (i = 0; i < NR_PATHS; i++)
		if ((cfg.paths & (1U << i)) && unavailable[i][0])
			printf("bench: note: %s n/a: %s\n", path_ops[i].name,
			       unavailable[i]);
	print_thread_targets();
}

/* Setup: the device, the limits, and which paths work in this boot */

void print_header(void)
{
	struct utsname un = {};
	struct meminfo m;
	char size[16], count[24], live[256] = "";
	unsigned int i;
	int used = 0;

	uname(&un);
	read_meminfo(&m);
	for (i = 0; i < cfg.nr_counts; i++)
		used += snprintf(live + used, sizeof(live) - used, "%s%s",
				 i ? "," : "", count_text(cfg.counts[i], count,
							  sizeof(count)));
	printf("bench: ioasid-bench %s: kernel %s %s, target %s\n",
	       cfg.smoke ? "smoke" : "full", un.release, un.machine,
	       target_name());
	printf("bench: machine: %ld CPUs, %ld MiB RAM, %ld hugetlb pages of %ld KiB\n",
	       sysconf(_SC_NPROCESSORS_ONLN), m.total >> 10, m.huge_total,
	       m.huge_size);
	printf("bench: sizes: bulk %s, %u repetitions, live mappings %s\n",
	       size_text(cfg.bulk_bytes, size, sizeof(size)), cfg.reps, live);
	printf("bench: sizes: churn %u pairs at %s live, %u map/unmap-one per repetition\n",
	       cfg.churn_ops, count_text(cfg.churn_live, count, sizeof(count)),
	       cfg.unmap_batch);
	printf("bench: sizes: attach with %lu pages mapped, vmm-start guest %s\n",
	       cfg.attach_pages, size_text(cfg.vmm_bytes, size, sizeof(size)));
	if (edu.missing)
		printf("bench: device: %s\n", edu.missing);
	else
		printf("bench: device: edu %s, %s, group %s\n", edu.pci,
		       edu.cdev, edu.group[0] ? edu.group : "(none)");
	for (i = 0; i < nr_other_edus; i++)
		printf("bench: device for unmap-one: edu %s, %s, group %s\n",
		       other_edus[i].pci, other_edus[i].cdev,
		       other_edus[i].group);
	if (!(cfg.paths & VDPA_PATHS))
		return;
	if (vdpa.missing[0])
		printf("bench: vdpa device: %s\n", vdpa.missing);
	else
		printf("bench: vdpa device: %s on %s (vp_vdpa), %s, vhost IOTLB of %ld entries\n",
		       VDPA_NAME, vdpa.pci, vdpa.path, vdpa.iotlb_limit);
}

/* Options */
