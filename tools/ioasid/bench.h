/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The pieces of ioasid-bench (see ioasid-bench.c): the paths under test
 * (bench-paths.c: edu through VFIO, vhost-vdpa on a virtio-net function
 * bound to /dev/ioasid or on its own vhost IOTLB, the mock IOMMUs, the
 * floor of IOASID_TEST_FLOOR on edu; and bench-iommufd-mock.c for
 * iommufd's test-only mock),
 * the workloads (bench-workloads.c, bench-scale.c for those among many
 * live mappings, bench-dirty.c for dirty tracking,
 * bench-vmm.c for a VMM's start-up, bench-threads.c for two threads
 * against one and bench-devices.c for more devices and a second page
 * table), what is measured and how it is summed up (bench-stats.c) and
 * what is printed (bench-output.c).
 */
#ifndef __IOASID_BENCH_H
#define __IOASID_BENCH_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <linux/ioasid.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "edu_vfio.h"
#include "ioasid_utils.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define SZ_1G		(1024 * SZ_1M)
#define NSEC_PER_SEC	1000000000ULL

#define MAX_REPS	32
#define MAX_FIGURES	96
#define MAX_RANGES	32
#define MAX_COUNTS	8
/* The live mappings cycle through this many user pages, to save memory. */
#define POOL_PAGES	256
#define TYPE1_LIMIT	"/sys/module/vfio_iommu_type1/parameters/dma_entry_limit"
/* More than a live mapping costs any path, its page tables included. */
#define MAPPING_BYTES	1024
/* Long enough for RCU to free what a closed session left to it. */
#define SETTLE_US	300000
/* The vDPA device both vhost-vdpa paths open, one session at a time. */
#define VDPA_NAME	"ioasid-bench0"
#define IOTLB_LIMIT	"/sys/module/vhost_vdpa/parameters/max_iotlb_entries"
/* vhost-vdpa's default max_iotlb_entries, when the kernel does not say. */
#define IOTLB_DEFAULT	2048
/* The live mappings of churn on the vDPA paths, at most: the IOTLB's fit. */
#define VDPA_CHURN_LIVE	1000
/* The most IOASID_TEST_FLOOR maps in one call. */
#define FLOOR_MAX_BYTES	SZ_1G

enum path_id {
	OURS,
	IOMMUFD,
	TYPE1,
	OURS_MOCK,
	IOMMUFD_MOCK,
	VDPA,
	VDPA_IOTLB,
	FLOOR,
	NR_PATHS
};

#define VDPA_PATHS	((1U << VDPA) | (1U << VDPA_IOTLB))

enum test_id {
	T_MAP_THP,
	T_MAP_HUGETLB,
	T_MAP_4K,
	T_UNMAP_ONE,
	T_CHURN,
	T_ATTACH,
	T_DIRTY,
	T_VMM_START,
	T_THREADS,
	T_DEVICES,
	NR_TESTS
};

extern const char *const test_names[NR_TESTS];

struct range {
	uint64_t start;
	uint64_t last;
};

/* One path opened on one address space; fds are -1 when unused. */
struct session {
	enum path_id path;
	const struct bench_edu *edu;	/* the device of the VFIO paths */
	int fd;			/* /dev/ioasid, /dev/iommu, container, vhost */
	int dev_fd;		/* VFIO cdev or group, or vhost-vdpa if bound */
	uint32_t as_id;		/* the IOASID or the IOAS */
	uint32_t dev_id;	/* the mock device */
	uint32_t hwpt_id;	/* iommufd's HWPT, as attach or dirty set it */
	const char *step;	/* what the last error came from */
	struct range ranges[MAX_RANGES];
	unsigned int nr_ranges;
};

struct path_ops {
	const char *name;
	bool mock;
	bool vdpa;		/* on the vDPA device rather than edu */
	const char *no_attach;	/* why the attach workload skips it */
	const char *map_name;
	const char *unmap_name;
	int (*open)(struct session *s);
	int (*attach)(struct session *s);
	int (*detach)(struct session *s);
	int (*map)(struct session *s, void *va, uint64_t len, uint64_t iova);
	int (*unmap)(struct session *s, uint64_t iova, uint64_t len);
	int (*ranges)(struct session *s);
	/*
	 * Another address space in the session's fd, for the threads
	 * workload; NULL where the fd is not /dev/ioasid or iommufd.
	 */
	int (*alloc_as)(struct session *s, uint32_t *id);
	/*
	 * Creates a mock device attached to address space @as_id of the
	 * session's fd; in a page table of its own when @own_table, else in
	 * one it shares when it can.  *@hwpt is iommufd's table of it, 0 on
	 * ours (see session_tables()).
	 */
	int (*add_mock)(struct session *s, uint32_t as_id, bool own_table,
			uint32_t *hwpt);
	/*
	 * Opens the VFIO cdev of the session's edu and binds it to the
	 * session's fd, for more edu in one address space; NULL where
	 * a device cannot join another's fd.
	 */
	int (*bind)(struct session *s);
	/*
	 * Maps and unmaps in one call that times each half itself, for the
	 * floor; the timed workloads call it instead of map and unmap, which
	 * make the live mappings around it.
	 */
	int (*map_unmap)(struct session *s, void *va, uint64_t len,
			 uint64_t iova, uint64_t *map_ns, uint64_t *unmap_ns);
};

struct config {
	bool smoke;
	uint64_t bulk_bytes;
	unsigned int reps;
	unsigned long counts[MAX_COUNTS];
	unsigned int nr_counts;
	unsigned long churn_live;
	unsigned int churn_ops;
	unsigned int unmap_batch;
	unsigned long attach_pages;
	uint64_t vmm_bytes;	/* the guest RAM of vmm-start */
	unsigned int budget_s;	/* per path and workload; sizes shrink to fit */
	unsigned int paths;	/* bit per enum path_id */
	unsigned int tests;	/* bit per enum test_id */
	bool profile;		/* run the tests once, under the profiler */
};

/*
 * One row of the tables: a sample list per path; none means n/a.  @mark,
 * when set, follows the row in the tables of the emulated IOMMU, for a
 * row that something other than the paths decides; a note says what.
 */
struct figure {
	char name[48];
	const char *unit;
	const char *mark;
	unsigned int n[NR_PATHS];
	double v[NR_PATHS][MAX_REPS];
};

struct outcome {
	bool skip;
	bool fail;
	char why[200];
};

/* An edu device for the VFIO paths. */
struct bench_edu {
	char pci[32];
	char cdev[64];
	char group[64];
	bool bound;		/* to vfio-pci by us */
	const char *missing;	/* why the VFIO paths cannot run */
};

/*
 * edu devices besides the first, each in an IOMMU group of its own, so
 * that the paths of unmap-one can hold their sessions side by side.
 */
#define MAX_OTHER_EDUS	3

/* The device the vhost-vdpa paths use, a virtio-net function on vp_vdpa. */
struct bench_vdpa {
	char pci[32];
	char path[64];		/* the vhost-vdpa char device of VDPA_NAME */
	long iotlb_limit;	/* vhost IOTLB entries per address space */
	bool bound;		/* given to vp_vdpa by us, given back at exit */
	bool created;		/* VDPA_NAME created by us, deleted at exit */
	char missing[200];	/* why the vhost-vdpa paths cannot run */
};

/* What backs a bulk workload's buffer. */
enum backing { BACK_THP, BACK_HUGETLB, BACK_4K };

struct buffer {
	void *map;		/* what to munmap() */
	size_t map_len;
	void *buf;		/* @len bytes, aligned for huge pages */
	size_t len;
};

struct stats {
	double median;
	double min;
	double max;
};

/* What /proc/meminfo says, in kB but for the hugetlb page count. */
struct meminfo {
	long slab;
	long sec_pagetables;
	long vmalloc_used;
	long pagetables;
	long anon_huge;
	long huge_total;
	long huge_size;
	long total;
	long available;
};

/* ioasid-bench.c: the run's configuration and environment */
extern struct config cfg;
extern size_t page_size;
/* Why a path cannot run in this boot, or an empty string. */
extern char unavailable[NR_PATHS][200];
extern struct bench_edu edu;
extern struct bench_edu other_edus[MAX_OTHER_EDUS];
extern unsigned int nr_other_edus;
extern struct bench_vdpa vdpa;

/* bench-paths.c */
extern const struct path_ops path_ops[NR_PATHS];
/* What an ioctl that does nothing takes, timed as the workloads time. */
extern uint64_t null_ioctl_ns;

/* bench-stats.c: the figures measured so far */
extern struct figure figures[MAX_FIGURES];
extern unsigned int nr_figures;

/* bench-output.c: the TAP results reported so far */
extern unsigned int tap_number, tap_failed;

/* ioasid-bench.c */
const char *target_name(void);

/* bench-paths.c */
void session_close(struct session *s);
int session_open(struct session *s, enum path_id p, bool attach);
int session_open_on(struct session *s, enum path_id p,
		    const struct bench_edu *dev);
bool pick_iova(const struct session *s, uint64_t len, uint64_t align,
	       uint64_t *iova);
uint64_t largest_window(const struct session *s, uint64_t align,
			uint64_t *iova);
int floor_probe(struct session *s);
int edu_device_fd(struct session *s, int *fd);
int session_add_as(struct session *s, struct session *second,
		   const struct bench_edu *dev);
int session_add_edu(struct session *s, const struct bench_edu *dev, int *fd,
		    uint32_t *hwpt);
int session_tables(struct session *s, const uint32_t *hwpts,
		   unsigned int nr, unsigned int *tables);

/* bench-iommufd-mock.c */
int iommufd_mock_attach(struct session *s);
int iommufd_mock_detach(struct session *s);
int iommufd_add_mock(struct session *s, uint32_t as_id, bool own_table,
		     uint32_t *hwpt);
int iommufd_mock_dirty_setup(struct session *s, bool huge);
int iommufd_mock_dirty_pages(struct session *s, uint64_t iova, uint64_t len,
			     uint64_t page, unsigned int run,
			     unsigned int period);

/* bench-stats.c */
uint64_t now_ns(void);
uint64_t rnd(void);
void rnd_restart(unsigned int n);
struct figure *new_figure(const char *name, const char *unit);
void add_sample(struct figure *f, enum path_id p, double value);
double median(double *v, unsigned int n);
bool figure_stats(const struct figure *f, enum path_id p,
		  struct stats *st);
void read_meminfo(struct meminfo *m);

/* bench-output.c */
void add_note(const char *text);
const char *count_text(unsigned long n, char *buf, size_t len);
const char *size_text(uint64_t bytes, char *buf, size_t len);
void emit_data(const struct figure *f, enum path_id p);
void emit_figures(struct figure *const *figs, unsigned int nr,
		  enum path_id p);
void skip_because(struct outcome *o, const char *why);
void fail_at(struct outcome *o, const char *step, int err);
void report(enum test_id t, enum path_id p, const struct outcome *o);
void print_tables(void);
void print_header(void);

/* bench-workloads.c */
bool selected(enum test_id t, enum path_id p);
enum path_id turn(unsigned int r, unsigned int i);
void profile_begin(void);
void profile_end(const char *figure, const char *path);
bool start_rep(struct session *s, enum path_id p, struct outcome *o,
	       bool attach);
void settle(void);
void kmem_deltas(const struct meminfo *before, const struct meminfo *after,
		 long d[4]);
void run_bulk(enum backing kind);
void run_attach(void);
int buffer_alloc(struct buffer *b, enum backing kind, size_t len);
void buffer_free(struct buffer *b);

/* bench-scale.c */
void run_scale(void);

/* bench-vmm.c */
void run_vmm_start(void);

/* bench-dirty.c */
void run_dirty(void);

/* bench-threads.c */
void run_threads(void);
void print_thread_targets(void);

/* bench-devices.c */
void run_devices(void);

#endif /* __IOASID_BENCH_H */
