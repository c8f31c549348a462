// SPDX-License-Identifier: GPL-2.0-only
/*
 * ioasid-bench: times /dev/ioasid against iommufd and the VFIO type1
 * container in one boot, on the same device: QEMU's edu bound to vfio-pci.
 * A second comparison pits the mock IOMMU of IOASID_TEST against iommufd's
 * (IOMMU_TEST_CMD), which leaves out what the emulated IOMMU costs.  A
 * third times vhost-vdpa on a virtio-net function given to vp_vdpa, its fd
 * bound to /dev/ioasid (IOASID_MAP into the IOASID it attached) against
 * the same fd unbound (vhost IOTLB update and invalidate messages); only
 * one fd may be open on the device, so every session opens its own.
 * Last, ours is set against the floor: on ours' session of edu, each
 * timed map and unmap is one IOASID_TEST_FLOOR, which pins, maps into the
 * IOMMU page tables, unmaps and unpins with nothing else, timed in the
 * kernel; ours/floor is what ours costs over the least any implementation
 * must do.
 *
 * Every workload runs with a device attached, so that the IOMMU page table
 * is really written: map and unmap of a large buffer backed by THP, by
 * hugetlbfs and by scattered 4 KiB pages, with the kernel memory that a
 * mapped 4 KiB page costs; map and unmap of one 4 KiB mapping among N live
 * ones, made long ago, then of the same one again at once, and churn at
 * random IOVAs among them, with the kernel memory a mapping costs; attach
 * and detach, with nothing mapped and with mappings;
 * on the mocks only, reading and clearing the dirty state of the large
 * buffer; on edu only, a VMM's start-up: attach, map a guest's RAM
 * regions, and the first DMA, the time to DMA-ready; two threads mapping
 * and unmapping 4 KiB against one, in one address space, two of one fd
 * and two fds; map and unmap with one, two and four devices sharing a
 * table, and with a second table.  The vhost IOTLB
 * holds max_iotlb_entries runs of pages (2048 by default): the vDPA
 * paths churn among at most VDPA_CHURN_LIVE live
 * mappings, and vdpa-iotlb skips the sizes it cannot hold, and attach,
 * which opening its fd does.  The floor skips attach and dirty, and has
 * no kernel memory figures: it keeps nothing.
 *
 * Each figure is taken several times and shown as its median with the
 * spread; every line for the host starts with "bench: " or "bench-data: ".
 * Results are also reported as TAP, one test per workload and path, which
 * fails only when an operation fails: times are never judged.  The
 * ioasid_bench environment variable, which the kernel hands to init from
 * its command line, chooses "full" sizes (the default) or "smoke" ones,
 * small enough for a test run; see print_usage() for the options.  In
 * full, a path has a time budget per workload: under an emulator the
 * buffer or the live mapping count shrink to fit it, and the output says so.
 *
 * This file holds main(), the options and the setup of the run; bench.h
 * names the other pieces: the paths, the workloads, the statistics and
 * the output.
 */
#include "bench.h"
#include "ftrace-profile.h"
#include "vdpa_net.h"

const char *const test_names[NR_TESTS] = {
	[T_MAP_THP] = "map-thp",
	[T_MAP_HUGETLB] = "map-hugetlb",
	[T_MAP_4K] = "map-4k",
	[T_UNMAP_ONE] = "unmap-one",
	[T_CHURN] = "churn",
	[T_ATTACH] = "attach",
	[T_DIRTY] = "dirty",
	[T_VMM_START] = "vmm-start",
	[T_THREADS] = "threads",
	[T_DEVICES] = "devices",
};

struct config cfg;
size_t page_size;
char unavailable[NR_PATHS][200];
struct bench_edu edu;
struct bench_edu other_edus[MAX_OTHER_EDUS];
unsigned int nr_other_edus;
struct bench_vdpa vdpa;

const char *target_name(void)
{
	switch (read_target()) {
	case TARGET_VTD:
		return "vtd";
	case TARGET_VIRTIO:
		return "virtio";
	case TARGET_SMMUV3:
		return "smmuv3";
	default:
		return "unknown";
	}
}

/* Binds edu to vfio-pci and finds its cdev and its group. */
static void find_edu(void)
{
	if (geteuid()) {
		edu.missing = "binding a device to vfio-pci needs root";
		return;
	}
	if (edu_find(edu.pci, sizeof(edu.pci))) {
		edu.missing = "no edu device (PCI id 1234:11e8)";
		return;
	}
	if (edu_bind_vfio(edu.pci, &edu.bound, edu.cdev, sizeof(edu.cdev))) {
		edu.missing = "edu is not bound to vfio-pci, or has no VFIO cdev";
		return;
	}
	vfio_group_path(edu.pci, edu.group, sizeof(edu.group));
}

static bool group_taken(const char *group)
{
	unsigned int i;

	for (i = 0; i < nr_other_edus; i++)
		if (!strcmp(group, other_edus[i].group))
			return true;
	return !strcmp(group, edu.group);
}

/*
 * The other edu devices, the first of each IOMMU group that edu's is not:
 * a device whose group mate one path holds cannot be bound to another.
 * Where the firmware names the IOMMU of each endpoint (VIOT, a device
 * tree's iommu-map), a device joins a group only as a driver binds to
 * it, so each is bound before its group is looked at.
 */
static void find_other_edus(void)
{
	char names[2 * MAX_OTHER_EDUS + 1][32], group[64];
	struct bench_edu *e;
	int n, i;

	if (edu.missing)
		return;
	n = pci_find_id(EDU_ID, names, ARRAY_SIZE(names));
	for (i = 0; i < n && nr_other_edus < MAX_OTHER_EDUS; i++) {
		e = &other_edus[nr_other_edus];
		if (!strcmp(names[i], edu.pci))
			continue;
		if (edu_bind_vfio(names[i], &e->bound, e->cdev,
				  sizeof(e->cdev)) ||
		    vfio_group_path(names[i], group, sizeof(group)) ||
		    group_taken(group)) {
			if (e->bound)
				unbind_vfio_pci(names[i]);
			continue;
		}
		snprintf(e->pci, sizeof(e->pci), "%.31s", names[i]);
		snprintf(e->group, sizeof(e->group), "%s", group);
		nr_other_edus++;
	}
}

/* Gives back the other edu devices that find_other_edus() bound. */
static bool release_other_edus(void)
{
	bool ok = true;
	unsigned int i;
	int ret;

	for (i = 0; i < nr_other_edus; i++) {
		if (!other_edus[i].bound)
			continue;
		ret = unbind_vfio_pci(other_edus[i].pci);
		if (ret) {
			printf("# unbinding %s from vfio-pci: %s\n",
			       other_edus[i].pci, strerror(ret));
			ok = false;
		}
	}
	return ok;
}

static long read_iotlb_limit(void)
{
	FILE *f = fopen(IOTLB_LIMIT, "r");
	long n = IOTLB_DEFAULT;

	if (f && fscanf(f, "%ld", &n) != 1)
		n = IOTLB_DEFAULT;
	if (f)
		fclose(f);
	/* 0 or less: vhost-vdpa takes no update at all. */
	return n > 0 ? n : 0;
}

/*
 * Gives the first virtio-net function to vp_vdpa and creates the vDPA
 * device that both vhost-vdpa paths open, when either is selected.
 */
static void find_vdpa(void)
{
	char pci[1][32], msg[128] = "";
	int ret;

	vdpa.iotlb_limit = read_iotlb_limit();
	if (!(cfg.paths & VDPA_PATHS))
		return;
	if (geteuid()) {
		snprintf(vdpa.missing, sizeof(vdpa.missing),
			 "giving a function to vp_vdpa needs root");
		return;
	}
	if (vnet_find_pci(pci, 1) < 1) {
		snprintf(vdpa.missing, sizeof(vdpa.missing),
			 "no virtio-net function (PCI id %s)", VNET_PCI_ID);
		return;
	}
	snprintf(vdpa.pci, sizeof(vdpa.pci), "%s", pci[0]);
	if (access("/sys/bus/pci/drivers/vp-vdpa", F_OK) ||
	    access("/sys/bus/vdpa/drivers/vhost_vdpa", F_OK)) {
		snprintf(vdpa.missing, sizeof(vdpa.missing),
			 "no vp-vdpa or vhost_vdpa driver (CONFIG_VP_VDPA, CONFIG_VHOST_VDPA)");
		return;
	}
	ret = vnet_bind_vp_vdpa(vdpa.pci);
	if (ret) {
		snprintf(vdpa.missing, sizeof(vdpa.missing),
			 "binding %s to vp-vdpa: %s", vdpa.pci, strerror(ret));
		return;
	}
	vdpa.bound = true;
	/* What a killed run may have left. */
	vdpa_dev_del(VDPA_NAME, NULL, 0);
	ret = vdpa_dev_add("pci", vdpa.pci, VDPA_NAME, msg, sizeof(msg));
	if (ret) {
		snprintf(vdpa.missing, sizeof(vdpa.missing),
			 "creating vDPA device %s on pci/%s: %s%s%s", VDPA_NAME,
			 vdpa.pci, strerror(ret), *msg ? ": " : "", msg);
		return;
	}
	vdpa.created = true;
	ret = vhost_vdpa_path(VDPA_NAME, vdpa.path, sizeof(vdpa.path));
	if (ret)
		snprintf(vdpa.missing, sizeof(vdpa.missing),
			 "no vhost-vdpa char device for %s: %s", VDPA_NAME,
			 strerror(ret));
}

/* Deletes the vDPA device and gives the function back to its driver. */
static bool release_vdpa(void)
{
	char msg[128] = "";
	bool ok = true;
	int ret;

	if (vdpa.created) {
		ret = vdpa_dev_del(VDPA_NAME, msg, sizeof(msg));
		if (ret && ret != ENODEV) {
			printf("# deleting vDPA device %s: %s%s%s\n", VDPA_NAME,
			       strerror(ret), *msg ? ": " : "", msg);
			ok = false;
		}
	}
	if (vdpa.bound) {
		ret = vnet_unbind_vp_vdpa(vdpa.pci);
		if (ret) {
			printf("# giving %s back to its driver: %s\n", vdpa.pci,
			       strerror(ret));
			ok = false;
		}
	}
	vdpa.created = false;
	vdpa.bound = false;
	return ok;
}

/* Why the device of path @p is missing, or NULL. */
static const char *device_missing(enum path_id p)
{
	if (path_ops[p].vdpa)
		return vdpa.missing[0] ? vdpa.missing : NULL;
	return path_ops[p].mock ? NULL : edu.missing;
}

/* Errors that mean a path is not in this kernel or not allowed here. */
static bool absent(enum path_id p, int err)
{
	switch (err) {
	case ENOENT:
	case ENODEV:
	case ENOTTY:
	case ENXIO:
	case EPERM:
		return true;
	case EINVAL:
		return path_ops[p].mock;
	/*
	 * A kernel without VHOST_VDPA_IOASID_BIND takes it for a vring
	 * ioctl, which reads argsz as a queue index.
	 */
	case ENOBUFS:
		return path_ops[p].vdpa;
	/* A kernel with IOASID_TEST but without its floor op. */
	case EOPNOTSUPP:
		return p == FLOOR;
	default:
		return false;
	}
}

/*
 * Opens and attaches each path once, and tries the floor's op.  A path
 * that is missing is n/a for every workload; one that fails otherwise
 * fails them all.
 */
static void probe_paths(void)
{
	struct session s;
	enum path_id p;
	int ret;

	for (p = 0; p < NR_PATHS; p++) {
		if (!(cfg.paths & (1U << p)))
			continue;
		if (device_missing(p)) {
			snprintf(unavailable[p], sizeof(unavailable[p]), "%s",
				 device_missing(p));
			continue;
		}
		ret = session_open(&s, p, true);
		if (!ret && p == FLOOR)
			ret = floor_probe(&s);
		session_close(&s);
		if (!ret)
			continue;
		printf("# %s: %s: %s\n", path_ops[p].name, s.step,
		       strerror(ret));
		if (absent(p, ret))
			snprintf(unavailable[p], sizeof(unavailable[p]),
				 "%s: %s", s.step, strerror(ret));
	}
}

/* Staying on one CPU takes migrations out of the spread. */
static void pin_cpu(void)
{
	int cpu = sched_getcpu();
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu < 0 ? 0 : cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		printf("# staying on CPU %d: %s\n", cpu, strerror(errno));
}

/* Pinning counts against RLIMIT_MEMLOCK on every path. */
static void raise_memlock(void)
{
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };

	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		printf("# RLIMIT_MEMLOCK stays as it is: %s\n", strerror(errno));
}

static const char *const unsafe_params[] = {
	"/sys/module/ioasid/parameters/allow_unsafe_interrupts",
	"/sys/module/iommufd/parameters/allow_unsafe_interrupts",
	"/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts",
};

static char unsafe_saved[ARRAY_SIZE(unsafe_params)];

/*
 * virtio-iommu cannot isolate MSIs: every path needs its module's
 * allow_unsafe_interrupts there, which is put back at exit.
 */
static void allow_unsafe(bool allow)
{
	char value[2] = "";
	unsigned int i;
	int fd;

	for (i = 0; i < ARRAY_SIZE(unsafe_params); i++) {
		if (allow) {
			fd = open(unsafe_params[i], O_RDONLY | O_CLOEXEC);
			if (fd < 0 || read(fd, &unsafe_saved[i], 1) != 1)
				unsafe_saved[i] = 0;
			if (fd >= 0)
				close(fd);
			if (unsafe_saved[i])
				write_attr(unsafe_params[i], "Y");
		} else if (unsafe_saved[i]) {
			value[0] = unsafe_saved[i];
			write_attr(unsafe_params[i], value);
		}
	}
}

static void defaults(bool smoke)
{
	static const unsigned long full_counts[] = {
		1000, 10000, 100000, 1000000,
	};
	static const unsigned long smoke_counts[] = { 16, 256 };
	const unsigned long *counts = smoke ? smoke_counts : full_counts;
	unsigned int i;

	cfg.smoke = smoke;
	cfg.bulk_bytes = smoke ? 8 * SZ_1M : SZ_1G;
	cfg.reps = smoke ? 1 : 5;
	cfg.nr_counts = smoke ? ARRAY_SIZE(smoke_counts) :
				ARRAY_SIZE(full_counts);
	for (i = 0; i < cfg.nr_counts; i++)
		cfg.counts[i] = counts[i];
	cfg.churn_live = smoke ? 256 : 100000;
	cfg.churn_ops = smoke ? 16 : 1000;
	cfg.unmap_batch = smoke ? 4 : 100;
	cfg.attach_pages = smoke ? 64 : 16384;
	cfg.vmm_bytes = smoke ? 16 * SZ_1M : 2ULL * SZ_1G;
	cfg.budget_s = smoke ? 0 : 60;
	cfg.paths = (1U << NR_PATHS) - 1;
	cfg.tests = (1U << NR_TESTS) - 1;
	/*
	 * vmm-start opens a dozen VFIO sessions and waits for eight edu
	 * DMAs of 100 ms: 6 s of a debug kernel's check boot, too long for
	 * what it would test there.  -w vmm-start runs it all the same.
	 */
	if (smoke)
		cfg.tests &= ~(1U << T_VMM_START);
	/*
	 * threads and devices test no more code than the other workloads
	 * and take seconds each: full runs only, unless asked for.
	 */
	if (smoke)
		cfg.tests &= ~((1U << T_THREADS) | (1U << T_DEVICES));
}

/* A count such as 100000, 100k or 1M. */
static bool parse_count(const char *text, unsigned long *n)
{
	char *end;

	errno = 0;
	*n = strtoul(text, &end, 10);
	if (*end == 'k' || *end == 'K')
		*n *= 1000;
	else if (*end == 'M')
		*n *= 1000000;
	if (*end == 'k' || *end == 'K' || *end == 'M')
		end++;
	return !errno && end != text && !*end;
}

/* A number option within [@min, @max]. */
static bool number(const char *text, unsigned long min, unsigned long max,
		   unsigned long *n)
{
	return parse_count(text, n) && *n >= min && *n <= max;
}

static bool uint_option(const char *text, unsigned int min, unsigned int *n)
{
	unsigned long value;

	if (!number(text, min, UINT_MAX, &value))
		return false;
	*n = value;
	return true;
}

static bool parse_counts(char *list)
{
	char *tok, *save;

	cfg.nr_counts = 0;
	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (cfg.nr_counts == MAX_COUNTS ||
		    !number(tok, 1, ULONG_MAX, &cfg.counts[cfg.nr_counts]))
			return false;
		cfg.nr_counts++;
	}
	return cfg.nr_counts;
}

/* Path names, or "devices", "mocks" and "vhost-vdpa". */
static bool parse_paths(char *list)
{
	char *tok, *save;
	enum path_id p;
	bool known;

	cfg.paths = 0;
	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		known = false;
		for (p = 0; p < NR_PATHS; p++) {
			if (!strcmp(tok, path_ops[p].name) ||
			    (!strcmp(tok, "devices") && !path_ops[p].mock) ||
			    (!strcmp(tok, "mocks") && path_ops[p].mock) ||
			    (!strcmp(tok, "vhost-vdpa") && path_ops[p].vdpa)) {
				cfg.paths |= 1U << p;
				known = true;
			}
		}
		if (!known)
			return false;
	}
	return cfg.paths;
}

/* Test names, or "bulk" for the three map tests and "scale" for two. */
static bool parse_tests(char *list)
{
	char *tok, *save;
	unsigned int t;
	bool known;

	cfg.tests = 0;
	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		known = false;
		for (t = 0; t < NR_TESTS; t++) {
			if (!strcmp(tok, test_names[t]) ||
			    (!strcmp(tok, "bulk") && t <= T_MAP_4K) ||
			    (!strcmp(tok, "scale") &&
			     (t == T_UNMAP_ONE || t == T_CHURN))) {
				cfg.tests |= 1U << t;
				known = true;
			}
		}
		if (!known)
			return false;
	}
	return cfg.tests;
}

static void print_usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-m full|smoke] [-s MiB] [-r reps] [-n N,N,...] [-l live] [-o ops] [-b batch] [-a pages] [-g MiB] [-t s] [-p paths] [-w tests] [-P tests]\n"
		"  -m  sizes: full (default, or $ioasid_bench) or smoke\n"
		"  -s  bulk buffer size in MiB (full: 1024)\n"
		"  -r  repetitions of each figure (full: 5, at most %d)\n"
		"  -n  live mapping counts for unmap-one, as 1k,10k,100k,1M\n"
		"  -l  live mappings during churn (full: 100k)\n"
		"  -o  churn map+unmap pairs per repetition (full: 1000)\n"
		"  -b  unmaps (and maps) of one mapping per repetition (full: 100)\n"
		"  -a  pages mapped for the second attach figure (full: 16384)\n"
		"  -g  guest RAM of vmm-start in MiB, a multiple of 4\n"
		"      (full: 2048)\n"
		"  -t  seconds a path may spend on a workload; larger sizes shrink to fit, 0 for no limit (full: 60)\n"
		"  -p  paths: ours,iommufd,type1,ours-mock,iommufd-mock,vdpa,vdpa-iotlb,\n"
		"      floor (ours' session, each timed map and unmap one IOASID_TEST_FLOOR),\n"
		"      devices (all but the mocks),mocks,vhost-vdpa (vdpa,vdpa-iotlb)\n"
		"      (or $ioasid_bench_paths)\n"
		"  -w  tests: map-thp,map-hugetlb,map-4k,unmap-one,churn,attach,dirty,\n"
		"      vmm-start,threads,devices,bulk,scale\n"
		"      (or $ioasid_bench_tests)\n"
		"  -P  tests: as -w, but once each, printing the kernel's function profile\n"
		"      of each bulk map and unmap, unmap-one's unmaps and maps at each\n"
		"      count, churn, attach and detach\n"
		"      (or $ioasid_bench_profile)\n",
		prog, MAX_REPS);
}

static bool set_option(int opt, char *arg)
{
	unsigned long n;

	switch (opt) {
	case 'm':
		return true;	/* read before the others */
	case 's':
		if (!number(arg, 1, 1UL << 20, &n))
			return false;
		cfg.bulk_bytes = (uint64_t)n << 20;
		return true;
	case 'r':
		return uint_option(arg, 1, &cfg.reps) && cfg.reps <= MAX_REPS;
	case 'n':
		return parse_counts(arg);
	case 'l':
		return number(arg, 1, ULONG_MAX, &cfg.churn_live);
	case 'o':
		return uint_option(arg, 1, &cfg.churn_ops);
	case 'b':
		return uint_option(arg, 1, &cfg.unmap_batch);
	case 'a':
		return number(arg, 1, ULONG_MAX, &cfg.attach_pages);
	case 'g':
		if (!number(arg, 4, 1UL << 20, &n) || n % 4)
			return false;
		cfg.vmm_bytes = (uint64_t)n << 20;
		return true;
	case 't':
		return uint_option(arg, 0, &cfg.budget_s);
	case 'p':
		return parse_paths(arg);
	case 'w':
		return parse_tests(arg);
	case 'P':
		cfg.profile = true;
		cfg.reps = 1;
		return parse_tests(arg);
	default:
		return false;
	}
}

static bool parse_options(int argc, char **argv)
{
	const char *mode = getenv("ioasid_bench");
	char *profile = getenv("ioasid_bench_profile");
	char *tests = getenv("ioasid_bench_tests");
	char *paths = getenv("ioasid_bench_paths");
	int opt;

	/* The mode first: the other options change its sizes. */
	for (opt = 1; opt + 1 < argc; opt++)
		if (!strcmp(argv[opt], "-m"))
			mode = argv[opt + 1];
	if (mode && strcmp(mode, "full") && strcmp(mode, "smoke"))
		return false;
	defaults(mode && !strcmp(mode, "smoke"));
	if (profile && !set_option('P', profile))
		return false;
	if (tests && !set_option('w', tests))
		return false;
	if (paths && !set_option('p', paths))
		return false;

	while ((opt = getopt(argc, argv, "m:s:r:n:l:o:b:a:g:t:p:w:P:h")) != -1)
		if (!set_option(opt, optarg))
			return false;
	return optind == argc;
}

static unsigned int planned_tests(void)
{
	unsigned int n = 0, t, p;

	for (t = 0; t < NR_TESTS; t++)
		for (p = 0; p < NR_PATHS; p++)
			n += selected(t, p);
	return n;
}

int main(int argc, char **argv)
{
	uint64_t start = now_ns();
	bool virtio, released;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!parse_options(argc, argv)) {
		print_usage(argv[0]);
		return 2;
	}
	page_size = sysconf(_SC_PAGESIZE);
	pin_cpu();
	raise_memlock();
	find_edu();
	find_other_edus();
	find_vdpa();
	virtio = read_target() == TARGET_VIRTIO;
	if (virtio)
		allow_unsafe(true);
	print_header();
	if (cfg.profile && !profile_open()) {
		printf("bench: no function profiler in this kernel (CONFIG_FUNCTION_PROFILER)\n");
		release_vdpa();
		release_other_edus();
		return 1;
	}
	printf("1..%u\n", planned_tests());
	probe_paths();

	run_bulk(BACK_THP);
	run_bulk(BACK_HUGETLB);
	run_bulk(BACK_4K);
	run_scale();
	run_attach();
	run_vmm_start();
	run_dirty();
	run_threads();
	run_devices();

	if (virtio)
		allow_unsafe(false);
	released = release_vdpa();
	released = release_other_edus() && released;
	print_tables();
	printf("bench: %u tests failed; the run took %.0f s\n", tap_failed,
	       (now_ns() - start) / 1e9);
	return tap_failed || !released ? 1 : 0;
}
