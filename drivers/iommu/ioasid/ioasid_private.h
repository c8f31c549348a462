/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internal interfaces of the /dev/ioasid core.
 */
#ifndef __IOASID_PRIVATE_H
#define __IOASID_PRIVATE_H

#include <linux/build_bug.h>
#include <linux/completion.h>
#include <linux/kref.h>
#include <linux/interval_tree.h>
#include <linux/iommu.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rbtree.h>
#include <linux/refcount.h>
#include <linux/rwsem.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/stddef.h>
#include <linux/types.h>
#include <linux/xarray.h>
#include <uapi/linux/ioasid.h>

struct ioasid_access_ops;
struct ioasid_ucmd;
struct iova_bitmap;

struct ioasid_account;

/**
 * struct ioasid_ctx_account - the accounting state of a context
 * @lock: protects the fields below
 * @mode: whom pages pinned from now on are charged to
 * @pinned_pages: pages pinned through the context, including those being
 *                pinned
 * @last: the account of the latest pin, held; the next pin shares it when
 *        it is made by the same user and process in the same mode
 *
 * Only account.c reads or writes it, through the ioasid_ctx_* functions
 * of its section below: @mode can change only while nothing is pinned.
 */
struct ioasid_ctx_account {
	spinlock_t lock; /* see @lock above */
	enum ioasid_accounting mode;
	unsigned long pinned_pages;
	struct ioasid_account *last;
};

struct ioasid_ioas;

/**
 * struct ioasid_ctx_vfio - the VFIO container a context may serve as
 * @lock: protects the fields below
 * @is_container: the context was opened through /dev/vfio/vfio
 * @ioas: the IOASID its groups' devices attach to and its mappings go in,
 *        created when the first group joins (NULL before) and held until
 *        the context ends, so that IOASID_DESTROY cannot take it
 * @groups: the VFIO groups in the container
 * @iommu_type: the type VFIO_SET_IOMMU chose, 0 before and after the
 *              last group left
 *
 * Only vfio_container.c reads or writes it.
 */
struct ioasid_ctx_vfio {
	struct mutex lock; /* see @lock above */
	bool is_container;
	struct ioasid_ioas *ioas;
	unsigned int groups;
	unsigned long iommu_type;
};

/*
 * Lock order, outermost first.  A lock is only ever taken while holding
 * those above it, never one below it:
 *
 * 1. Callers' locks.  VFIO calls the kAPI (kapi.c) with its device set's
 *    lock held, bind and unbind included.
 * 2. ioasid_ctx.groups_lock: only around lookups in, and changes of, a
 *    context's groups (group.c, ioasid_ctx_owns_group()).  Nothing of
 *    ours is taken under it, and it is not taken under 3 or 4: unbind
 *    detaches first and drops its group afterwards.
 *    ioasid_ctx.devices_lock: around adding and removing a binding in the
 *    context's list (device.c), with no other lock of ours held, and
 *    around the walks of the list by fdinfo and IOASID_DEVICE_INFO,
 *    which take a device's 3 under it, and by a nested IOASID's
 *    creation (nested.c), which takes its parent's 4 under it.  Never
 *    taken together with groups_lock.  fdinfo.c's
 *    fdinfo_count_lock: global, taken alone, around one IOAS's 4.
 *    ioasid_ctx.vfio.lock: around the VFIO container's state
 *    (vfio_container.c), taken under VFIO's group lock or with none of
 *    ours held; the last group's leaving unmaps every mapping under it.
 *    ioasid_ctx.views_rwsem: taken by the views (fdinfo.c, debugfs.c)
 *    with none of ours held, before any of those above or below, and by
 *    IOASID_DESTROY around the whole destroy.
 * 3. ioasid_group.lock: around every attach, move and detach of a group's
 *    requester ID and of its devices' PASIDs (device.c), and around the
 *    test ioctl's DMA, which must not race a detach.  One group's at a
 *    time.  ioasid_access.lock: around the attach, move, detach, pins and
 *    copies of one access (access.c).  An access's unmap callback is
 *    called with none of the subsystem's locks held: by an unmap between
 *    two takings of 4, and by attach and detach before they take this
 *    one; the driver unpins from it, which takes this lock and then 4.
 *    Its map callback too: by a map after it dropped 4, and by attach
 *    after it dropped this one, between takings of 4.
 * 4. ioasid_ioas.iova_rwsem: the IOVA space of one IOAS, its mappings and
 *    page tables.  Taken under 3 to attach and detach, alone by the
 *    map, unmap and range ioctls.  Never two at once, of the same IOAS
 *    or of two: COPY reads the source IOAS's pages under the source's
 *    lock, drops it, and only then inserts them under the destination's.
 *    The IOMMU core's group mutex is taken under it, when a table is
 *    attached or replaced.  Pinning and charging pages, and uncharging
 *    them, take mmap_lock and are done with no iova_rwsem held; frames
 *    kept only in the tables are unpinned under it, which takes no lock.
 *    ioasid_ioas.fill_rwsem: held for read by a MAP or UNMAP while it
 *    maps its claimed area into the tables, or unmaps it, with no
 *    iova_rwsem held: taken for read under 4 held for write, which is
 *    then dropped, so that 4 is never taken while holding it.  Taken
 *    for write, and dropped at once, under 4 held either way, by
 *    ioasid_ioas_quiesce(): with 4 held no area can be claimed, so once
 *    it returns no table is being changed outside 4 until 4 is dropped.
 *    Only the IOMMU drivers' locks and allocations are taken under it,
 *    and mmap_lock, by a MAP that pins its pages while it holds its
 *    claim: nothing of ours is taken under mmap_lock, as the subsystem
 *    has no mmap, fault handler or MMU notifier.
 *    fault.c's fault_devs_lock: global, taken under 3 only, around
 *    enabling and disabling a device's page requests in its IOMMU
 *    driver.
 * 4a. ioasid_fault_queue.lock: one fault queue's requests.  The queue's
 *    handler takes it wherever the IOMMU driver reports a request: the
 *    mock's DMA does so under 3 and 4.  The queue's fd takes it with
 *    none of ours held but the queue's read_lock, and a device that
 *    leaves a nested IOASID under 3.  Nothing that can wait on the user
 *    is done under it: read() copies records to the user holding only
 *    read_lock, which nothing else takes.  The IOMMU core's lock of a
 *    device's requests, which answering takes, and the driver's own are
 *    taken with it dropped.
 * 5. Leaves, under which nothing else is taken: ioasid_ctx.account.lock,
 *    the xa_lock of ioasid_ctx.objects (taken to add and remove objects;
 *    lookups take none, only the RCU read side) and of the other
 *    xarrays; an unmap drops the xa_lock of ioasid_ioas.accesses around
 *    each callback.
 *
 * Every ioasid_group.lock is of one lockdep class and every iova_rwsem of
 * another, so lockdep reports two of a kind held at once, and any nesting
 * against this order, without per-lock annotations; functions that need
 * a lock held assert it (lockdep_assert_held()).
 */

/**
 * struct ioasid_ctx - state of one open /dev/ioasid
 * @file: the open file, which in-kernel users hold to keep the context
 * @id: a number no other live context has, which fdinfo, debugfs and the
 *      tracepoints name the context by
 * @objects: the objects created through this fd, indexed by the ids that
 *           userspace sees; ids are meaningful only together with the fd
 * @views_rwsem: held for read by fdinfo and debugfs while they read
 *               objects without holding a reference on them, and for
 *               write by IOASID_DESTROY: so that looking at a context never
 *               makes a destroy fail with EBUSY, a destroy waits instead
 * @account: what it pins and whom that is charged to (account.c)
 * @groups_lock: serialises lookup, creation and release in @groups
 * @groups: the IOMMU groups of the devices bound to this fd, as struct
 *          ioasid_group indexed by iommu_group_id()
 * @devices_lock: serialises changes of @devices and walks of it
 * @devices: the devices bound to this fd, as struct ioasid_device, in the
 *           order they were bound
 * @debugfs: debugfs.c's: the context's directory, or NULL
 * @opener: debugfs.c's: the process that opened the fd, held
 * @opener_comm: debugfs.c's: its name then
 * @pages_in_tables: pinned pages whose frames only the IOMMU page tables
 *                   hold; only the test ioctl reads it, and only kernels
 *                   with CONFIG_DEV_IOASID_TEST count it
 * @vfio: the VFIO container this context serves as, in kernels with
 *        CONFIG_DEV_IOASID_VFIO_CONTAINER
 */
struct ioasid_ctx {
	struct file *file;
	u32 id;
	struct xarray objects;
	struct rw_semaphore views_rwsem; /* see @views_rwsem above */
	struct ioasid_ctx_account account;
	struct mutex groups_lock; /* see @groups_lock above */
	struct xarray groups;
	struct mutex devices_lock; /* see @devices_lock above */
	struct list_head devices;
#if IS_ENABLED(CONFIG_DEV_IOASID_DEBUGFS)
	struct dentry *debugfs;
	struct pid *opener;
	char opener_comm[TASK_COMM_LEN];
#endif
#ifdef CONFIG_DEV_IOASID_TEST
	atomic_long_t pages_in_tables;
#endif
#if IS_ENABLED(CONFIG_DEV_IOASID_VFIO_CONTAINER)
	struct ioasid_ctx_vfio vfio;
#endif
};

struct ioasid_ctx *ioasid_ctx_alloc(void);
void ioasid_ctx_free(struct ioasid_ctx *ctx);
struct ioasid_ctx *ioasid_ctx_from_file(struct file *file);

/* What a context shows of itself (fdinfo.c, debugfs.c). */
struct seq_file;
void ioasid_fops_show_fdinfo(struct seq_file *m, struct file *file);
#if IS_ENABLED(CONFIG_DEV_IOASID_DEBUGFS)
void ioasid_debugfs_init(void);
void ioasid_debugfs_exit(void);
void ioasid_ctx_debugfs_add(struct ioasid_ctx *ctx);
void ioasid_ctx_debugfs_remove(struct ioasid_ctx *ctx);
#else
static inline void ioasid_debugfs_init(void) { }
static inline void ioasid_debugfs_exit(void) { }
static inline void ioasid_ctx_debugfs_add(struct ioasid_ctx *ctx) { }
static inline void ioasid_ctx_debugfs_remove(struct ioasid_ctx *ctx) { }
#endif

/*
 * The types of objects, each with its entry in object.c's table of
 * struct ioasid_object_ops; @IOASID_OBJ_NR is one more than the last.
 */
enum ioasid_object_type {
	IOASID_OBJ_IOAS = 1,
	IOASID_OBJ_NESTED,
	IOASID_OBJ_FAULT_QUEUE,
#if IS_ENABLED(CONFIG_DEV_IOASID_TEST)
	IOASID_OBJ_MOCK_DEV,
	IOASID_OBJ_MOCK_ACCESS,
#endif
	IOASID_OBJ_NR
};

/**
 * struct ioasid_object - what every object in a context's table starts with
 * @users: one for the table, plus one for each holder of a lookup
 * @type: the type of the struct this is embedded in
 * @id: the id userspace names the object by
 * @rcu: frees the struct this is embedded in after the lookups that may
 *       still read @users and @type (ioasid_object_get())
 */
struct ioasid_object {
	refcount_t users;
	enum ioasid_object_type type;
	u32 id;
	struct rcu_head rcu;
};

int ioasid_object_reserve_id(struct ioasid_ctx *ctx, u32 *id);
void ioasid_object_release_id(struct ioasid_ctx *ctx, u32 id);
int ioasid_object_reserve(struct ioasid_ctx *ctx, struct ioasid_object *obj,
			  enum ioasid_object_type type);
void ioasid_object_publish(struct ioasid_ctx *ctx, struct ioasid_object *obj);
void ioasid_object_abort(struct ioasid_ctx *ctx, struct ioasid_object *obj);
struct ioasid_object *ioasid_object_get(struct ioasid_ctx *ctx, u32 id,
					enum ioasid_object_type type);
void ioasid_object_put(struct ioasid_object *obj);

/**
 * ioasid_object_hold() - take another reference on an object
 * @obj: an object the caller holds already, through a lookup or as its
 *       user
 *
 * The reference is dropped with ioasid_object_put(), as one from
 * ioasid_object_get() is.
 */
static inline void ioasid_object_hold(struct ioasid_object *obj)
{
	refcount_inc(&obj->users);
}

int ioasid_object_destroy(struct ioasid_ctx *ctx, u32 id);
void ioasid_object_destroy_all(struct ioasid_ctx *ctx);

/**
 * struct ioasid_ioas - an I/O address space
 * @obj: its entry in the context's table
 * @iova_rwsem: protects the IOVA space: @allowed, @reserved, @areas,
 *              and what is mapped in @hwpts, but for the areas that MAP
 *              and UNMAP claimed and fill or unfill outside it (struct
 *              ioasid_area, @state)
 * @fill_rwsem: held for read while a claimed area is filled or unfilled
 *              outside @iova_rwsem; see ioasid_ioas_quiesce()
 * @allowed: the IOVA ranges userspace allows mappings in; all of the
 *           address space until it says otherwise
 * @reserved: ranges that attached devices cannot use for DMA, as struct
 *            ioasid_resv: each attachment's own, which may overlap
 * @areas: the mappings, as struct ioasid_area
 * @hwpts: the IOMMU page tables that devices are attached through, as
 *         struct ioasid_hwpt; each holds every mapping in @areas.  hwpt.c
 *         counts their devices, frames.c adds and removes them and fills
 *         them
 * @nr_in_tables: frames.c's: areas whose frames only the tables hold;
 *                atomic, as a MAP that fills outside iova_rwsem counts
 *                its area in
 * @keeper: frames.c's: the last table, kept without devices while @hwpts
 *          is empty, for the frames of those areas; NULL when there is none
 * @accesses: access.c's: the accesses attached, as struct ioasid_access,
 *            each holding a reference on the IOAS
 * @dirty_tracking: dirty.c's: every table in @hwpts records the pages
 *                  devices write, as does every table that joins
 *
 * The IOAS object and its IOVA ranges are ioas.c's, its tree of areas
 * area.c's, where the frames of those areas are kept frames.c's.
 */
struct ioasid_ioas {
	struct ioasid_object obj;
	struct rw_semaphore iova_rwsem;
	struct rw_semaphore fill_rwsem;
	struct rb_root_cached allowed;
	struct rb_root_cached reserved;
	struct rb_root_cached areas;
	struct list_head hwpts;
	atomic_long_t nr_in_tables;
	struct ioasid_hwpt *keeper;
	struct xarray accesses;
	bool dirty_tracking;
};

void ioasid_ioas_free(struct ioasid_ioas *ioas);
struct ioasid_ioas *ioasid_ioas_add(struct ioasid_ctx *ctx);
void ioasid_ioas_destroy(struct ioasid_object *obj);
struct ioasid_ioas *ioasid_ioas_get(struct ioasid_ctx *ctx, u32 id);
void ioasid_ioas_put(struct ioasid_ioas *ioas);
unsigned long ioasid_ioas_iova_alignment(struct ioasid_ioas *ioas);
void ioasid_ioas_unmap_all(struct ioasid_ioas *ioas);
void ioasid_ioas_quiesce(struct ioasid_ioas *ioas);
bool ioasid_ioas_mappings_within(struct ioasid_ioas *ioas,
				 struct rb_root_cached *set);
int ioasid_ioas_walk_usable(struct ioasid_ioas *ioas,
			    int (*fn)(void *arg, unsigned long first,
				      unsigned long last),
			    void *arg);

int ioasid_dirty_prepare_table(struct ioasid_ioas *ioas,
			       struct ioasid_hwpt *hwpt);
struct iova_bitmap *ioasid_dirty_bitmap_get(struct ioasid_ioas *ioas, u64 iova,
					    u64 length, u64 page_size,
					    u64 uptr);
int ioasid_dirty_record(struct ioasid_ioas *ioas, struct iova_bitmap *bitmap,
			bool clear);

/**
 * struct ioasid_access - an emulated device's way into IOASID memory
 * @ctx: the context
 * @ops: the callbacks of the driver that created it
 * @data: their argument
 * @users: one for the creator, and one for each unmap calling @ops
 * @released: completed when @users drops to zero
 * @lock: serialises attach, move and detach, pins and copies
 * @ioas: the IOAS attached to, held; NULL while detached
 * @index: its index in @ioas's accesses
 * @pinned: pages pinned through the access and not unpinned yet
 * @leaving: set while the access detaches or moves: its driver unpins
 *           everything then, and a pin racing it would be of memory the
 *           access is leaving, so none is taken
 *
 * access.c owns it; the areas it pins count their pages themselves.
 */
struct ioasid_access {
	struct ioasid_ctx *ctx;
	const struct ioasid_access_ops *ops;
	void *data;
	refcount_t users;
	struct completion released;
	struct mutex lock; /* see @lock above */
	struct ioasid_ioas *ioas;
	u32 index;
	unsigned long pinned;
	bool leaving;
};

struct ioasid_access *ioasid_access_alloc(struct ioasid_ctx *ctx,
					  const struct ioasid_access_ops *ops,
					  void *data);
void ioasid_access_free(struct ioasid_access *access);
int ioasid_access_attach_ioas(struct ioasid_access *access,
			      struct ioasid_ioas *ioas);
void ioasid_ioas_notify_unmap(struct ioasid_ioas *ioas, unsigned long start,
			      unsigned long last);
void ioasid_ioas_notify_map(struct ioasid_ioas *ioas, unsigned long start,
			    unsigned long last);

/**
 * struct ioasid_account - where pinned pages are charged
 * @refs: one per range of pinned pages charged here, and one while it is
 *        its context's last account
 * @mode: to the user's or to the process's locked memory
 * @ctx: the context that counts the pages, which outlives them
 * @user: the user, held
 * @mm: the process's mm, held
 *
 * The ranges one caller pins through a context share one account, so that
 * a pin takes one reference rather than one on the user and one on the mm.
 */
struct ioasid_account {
	refcount_t refs;
	enum ioasid_accounting mode;
	struct ioasid_ctx *ctx;
	struct user_struct *user;
	struct mm_struct *mm;
};

bool ioasid_account_fits(unsigned long used, unsigned long npages,
			 unsigned long limit);
int ioasid_account_charge(struct ioasid_account *acct, unsigned long npages);
void ioasid_account_uncharge(struct ioasid_account *acct,
			     unsigned long npages);
void ioasid_ctx_account_init(struct ioasid_ctx *ctx);
void ioasid_ctx_account_destroy(struct ioasid_ctx *ctx);
struct ioasid_account *ioasid_ctx_pin_begin(struct ioasid_ctx *ctx,
					    unsigned long npages);
void ioasid_ctx_pin_end(struct ioasid_account *acct, unsigned long npages);
unsigned long ioasid_ctx_pinned_pages(struct ioasid_ctx *ctx);
enum ioasid_accounting ioasid_ctx_accounting(struct ioasid_ctx *ctx);
int ioasid_ctx_set_accounting(struct ioasid_ctx *ctx, u64 mode);

/**
 * struct ioasid_pfn_run - physically contiguous pinned pages
 * @pfn: the frame number of the first page
 * @index: the first page's index in the pinned range; the run ends where
 *         the next one starts, or at the end of the range
 */
struct ioasid_pfn_run {
	unsigned long pfn;
	unsigned long index;
};

/**
 * struct ioasid_pages - one pinned range of user memory (pages.c)
 * @kref: one reference per mapping that shows the pages
 * @writable: pinned for write; marked dirty when unpinned
 * @counted: fdinfo.c's: set while a walk of an IOAS's areas has counted
 *           the range, clear at all other times
 * @acct: where the pages are charged and counted, held
 * @npages: pages in the range
 * @nr_runs: entries in @runs; 0 while frames.c keeps the frames in the
 *           page tables of the one area that maps the pages whole
 * @runs: the range as runs of contiguous pages, in order
 * @one_run: where @runs points for a single page, saving an allocation
 *
 * Only pinning, unpinning and the runs are pages.c's; which of the runs or
 * the page tables hold the frames is decided by frames.c.  A mapping of
 * one page costs this and its area: keep it within 64 bytes (pages.c).
 */
struct ioasid_pages {
	struct kref kref;
	bool writable;
	bool counted;
	struct ioasid_account *acct;
	unsigned long npages;
	unsigned long nr_runs;
	struct ioasid_pfn_run *runs;
	struct ioasid_pfn_run one_run;
};

unsigned long ioasid_pages_contiguous(struct page **batch, unsigned long max);
bool ioasid_pfn_run_extends(const struct ioasid_pfn_run *runs,
			    unsigned long nr_runs, unsigned long index,
			    unsigned long pfn);
struct ioasid_pages *ioasid_pages_new(struct ioasid_ctx *ctx,
				      unsigned long npages, bool writable);
long ioasid_pages_pin_batch(struct ioasid_pages *pages, unsigned long uaddr,
			    struct page **batch, unsigned long want);
int ioasid_pages_add_batch(struct ioasid_pages *pages, unsigned long index,
			   struct page **batch, unsigned long n,
			   unsigned long *capacity);
void ioasid_pages_unpin_recorded(struct ioasid_pages *pages,
				 unsigned long recorded);
struct ioasid_account *ioasid_pin_page(struct ioasid_ctx *ctx,
				       unsigned long uaddr, bool writable,
				       unsigned long *pfn);
void ioasid_unpin_page(struct ioasid_account *acct, unsigned long pfn,
		       bool writable);
struct ioasid_pages *ioasid_pages_adopt(struct ioasid_account *acct,
					unsigned long pfn, bool writable);
void ioasid_pages_get(struct ioasid_pages *pages);
void ioasid_pages_put(struct ioasid_pages *pages);
void ioasid_pages_drop_runs(struct ioasid_pages *pages);
void ioasid_pages_set_runs(struct ioasid_pages *pages,
			   struct ioasid_pfn_run *runs, unsigned long nr_runs);
void ioasid_unpin_range(unsigned long pfn, unsigned long npages, bool dirty,
			unsigned long *since);

/**
 * enum ioasid_area_state - where an area is in its life
 * @IOASID_AREA_LIVE: a mapping, in every table of its IOAS
 * @IOASID_AREA_FILLING: claimed by a MAP, which is mapping it into the
 *                       tables with fill_rwsem held for read and no
 *                       iova_rwsem
 * @IOASID_AREA_UNFILLING: claimed by an UNMAP, which is unmapping it from
 *                         the tables in the same way
 * @IOASID_AREA_GONE: in no table: the MAP failed or the UNMAP is done
 *                    with the tables; the area waits in the tree for its
 *                    claimer to take it out
 * @IOASID_AREA_REAPED: a GONE area that another holder of iova_rwsem took
 *                      out of the tree for its claimer (area.c)
 *
 * Areas of the last four states are busy: they keep their IOVAs from
 * being claimed again, but are not mappings that accesses, attach or
 * another unmap may use.  Only the claimer changes the state of a busy
 * area, but for REAPED; ioasid_ioas_quiesce() leaves none FILLING or
 * UNFILLING.
 */
enum ioasid_area_state {
	IOASID_AREA_LIVE,
	IOASID_AREA_FILLING,
	IOASID_AREA_UNFILLING,
	IOASID_AREA_GONE,
	IOASID_AREA_REAPED,
};

/**
 * struct ioasid_area - one mapping
 * @node: its IOVA range, in the IOAS's tree of areas
 * @pages: unless @own_pin: the pinned pages, of which the area holds a
 *         reference
 * @acct: with @own_pin: where the area's page is charged, held
 * @pgoff: unless @own_pin: the index in @pages of the page at the area's
 *         first IOVA
 * @pfn: with @own_pin: the frame of the area's page, which it holds pinned
 * @access_pins: access.c's: pages of the area that accesses hold pinned,
 *               counted under the IOAS's iova_rwsem held for read; the
 *               area is not removed while there are any
 * @next_free: links areas that are being removed
 * @prot: IOMMU_READ and/or IOMMU_WRITE
 * @state: enum ioasid_area_state: written under iova_rwsem held for
 *         write, or by the claimer of a busy area with a release, and
 *         read under iova_rwsem with ioasid_area_live()
 * @in_tables: frames.c's: the frames of @pages are not in its runs but only
 *             in the page tables of the IOAS, or in its keeper
 * @unmapping: area.c's, set under iova_rwsem held for write: an unmap
 *             waits for the accesses to unpin the area, which they may
 *             not pin again
 * @own_pin: frames.c's: the area maps one page that it pinned itself and
 *           holds without pages (@acct, @pfn), until a COPY shares it
 *
 * area.c places, inserts, finds and removes areas; frames.c maps them into
 * the page tables and out of them, and alone reads @in_tables, @own_pin
 * and the fields they choose between.  Every mapping has one, in a cache
 * of its own (area.c): keep it small.
 */
struct ioasid_area {
	struct interval_tree_node node;
	union {
		struct ioasid_pages *pages;
		struct ioasid_account *acct;
	};
	union {
		unsigned long pgoff;
		unsigned long pfn;
	};
	atomic_long_t access_pins;
	struct ioasid_area *next_free;
	int prot;
	u8 state;
	bool in_tables;
	bool unmapping;
	bool own_pin;
};

/*
 * Whether @area is a mapping rather than busy.  The acquire pairs with
 * the claimer's release, so that what it did to the tables is seen.
 */
static inline bool ioasid_area_live(struct ioasid_area *area)
{
	/* Pairs with the claimer's smp_store_release() (area.c). */
	return smp_load_acquire(&area->state) == IOASID_AREA_LIVE;
}

/**
 * struct ioasid_placement - where a new area goes
 * @fixed: at @iova, as IOASID_MAP_FIXED_IOVA asks; else at a free IOVA
 * @iova: the fixed IOVA, or the one chosen
 * @align: the alignment of a free IOVA, a power of two
 */
struct ioasid_placement {
	bool fixed;
	unsigned long iova;
	unsigned long align;
};

/* The area's length in pages. */
static inline unsigned long ioasid_area_npages(struct ioasid_area *area)
{
	return (area->node.last - area->node.start + 1) >> PAGE_SHIFT;
}

/* The tree of areas (area.c). */
int ioasid_area_cache_init(void);
void ioasid_area_cache_exit(void);
struct ioasid_area *ioasid_area_first(struct ioasid_ioas *ioas,
				      unsigned long start, unsigned long last);
struct ioasid_area *ioasid_area_next(struct ioasid_area *area,
				     unsigned long start, unsigned long last);
int ioasid_area_check_free(struct ioasid_ioas *ioas, unsigned long iova,
			   unsigned long length);
int ioasid_area_insert(struct ioasid_ioas *ioas, struct ioasid_pages *pages,
		       unsigned long pgoff, unsigned long npages, int prot,
		       struct ioasid_placement *where);
int ioasid_area_insert_user(struct ioasid_ioas *ioas, struct ioasid_ctx *ctx,
			    unsigned long uaddr, unsigned long npages,
			    int prot, struct ioasid_placement *where);
int ioasid_area_remove_range(struct ioasid_ioas *ioas, unsigned long start,
			     unsigned long last, unsigned long *removed,
			     struct iova_bitmap *dirty);
struct ioasid_pages *ioasid_area_get_range_pages(struct ioasid_ioas *ioas,
						 u64 iova, u64 length,
						 unsigned long *pgoff);

/* Where an area's frames are kept, and filling the tables (frames.c). */
int ioasid_area_fill_tables(struct ioasid_ioas *ioas, struct ioasid_area *area);
void ioasid_area_unfill_tables(struct ioasid_ioas *ioas,
			       struct ioasid_area *area);
bool ioasid_area_fills_unlocked(struct ioasid_ioas *ioas,
				struct ioasid_area *area);
int ioasid_area_fill_claimed(struct ioasid_ioas *ioas,
			     struct ioasid_area *area);
bool ioasid_area_unfills_unlocked(struct ioasid_ioas *ioas,
				  struct ioasid_area *area);
void ioasid_area_unfill_claimed(struct ioasid_ioas *ioas,
				struct ioasid_area *area);
int ioasid_area_pin_fill(struct ioasid_ioas *ioas, struct ioasid_area *area,
			 struct ioasid_ctx *ctx, unsigned long uaddr);
void ioasid_area_put_frames(struct ioasid_area *area);
struct ioasid_pages *ioasid_area_pages(struct ioasid_area *area);
struct ioasid_pages *ioasid_area_get_pages(struct ioasid_ioas *ioas,
					   struct ioasid_area *area);
int ioasid_area_walk_frames(struct ioasid_ioas *ioas, struct ioasid_area *area,
			    unsigned long first, unsigned long npages,
			    int (*fn)(void *arg, unsigned long offset,
				      unsigned long pfn, unsigned long npages),
			    void *arg);
int ioasid_ioas_fill_table(struct ioasid_ioas *ioas, struct ioasid_hwpt *hwpt);
void ioasid_ioas_add_table(struct ioasid_ioas *ioas, struct ioasid_hwpt *hwpt);
void ioasid_ioas_remove_table(struct ioasid_ioas *ioas,
			      struct ioasid_hwpt *hwpt);

/**
 * struct ioasid_hwpt - an IOMMU page table of an IOAS
 * @node: in the IOAS's list of tables, or its keeper (frames.c)
 * @id: the number fdinfo and the tracepoints name the table by, from a
 *      counter of tables made since boot
 * @domain: the table, as the IOMMU core knows it
 * @users: devices attached through it, and nested IOASIDs on it
 * @nests: nested.c's: the nested IOASIDs among @users
 * @coherent: its devices snoop CPU caches: its mappings are IOMMU_CACHE
 * @enforced: its IOMMU refuses no-snoop DMA through it
 * @sw_msi_base: where @domain's software MSI window starts, set before
 *               any device attaches; PHYS_ADDR_MAX for none
 * @nest_parent: @domain was made for nested IOASIDs to nest on
 *
 * hwpt.c makes the table, says which devices suit it, counts them and
 * frees it; what it maps is frames.c's.
 */
struct ioasid_hwpt {
	struct list_head node;
	u32 id;
	struct iommu_domain *domain;
	unsigned int users;
	unsigned int nests;
	bool coherent;
	bool enforced;
	phys_addr_t sw_msi_base;
	bool nest_parent;
};

void ioasid_hwpt_free(struct ioasid_hwpt *hwpt);
struct ioasid_hwpt *ioasid_hwpt_create(struct device *dev, phys_addr_t sw_msi,
				       bool nest_parent);
bool ioasid_hwpt_suits(struct ioasid_hwpt *hwpt, struct device *dev,
		       phys_addr_t sw_msi);
int ioasid_hwpt_iopte_prot(const struct ioasid_hwpt *hwpt, int prot);
void ioasid_hwpt_add(struct ioasid_ioas *ioas, struct ioasid_hwpt *hwpt);
void ioasid_hwpt_put(struct ioasid_ioas *ioas, struct ioasid_hwpt *hwpt);

/**
 * struct ioasid_nested - a nested IOASID: a stage-1 table the user manages
 * @obj: its entry in the context's table
 * @parent: the IOAS whose mappings are the second stage, held
 * @hwpt: the table of @parent it nests on, counted in its users
 * @domain: the nested domain, of @hwpt's IOMMU
 * @format: enum ioasid_nest_format
 * @fault_queue: where page requests through @domain go, held, or NULL
 *
 * nested.c makes it, looks it up and frees it; device.c attaches to it
 * as to @parent, through @domain.
 */
struct ioasid_nested {
	struct ioasid_object obj;
	struct ioasid_ioas *parent;
	struct ioasid_hwpt *hwpt;
	struct iommu_domain *domain;
	u32 format;
	struct ioasid_fault_queue *fault_queue;
};

/**
 * struct ioasid_dest - where an attachment goes
 * @ioas: the IOAS whose mappings the device reaches, and in whose IOVA
 *        space its reserved ranges are
 * @nested: the nested IOASID on @ioas the device attaches to, or NULL to
 *          attach to @ioas itself
 */
struct ioasid_dest {
	struct ioasid_ioas *ioas;
	struct ioasid_nested *nested;
};

int ioasid_dest_get(struct ioasid_ctx *ctx, u32 id, struct ioasid_dest *dest);
void ioasid_dest_put(struct ioasid_dest *dest);
int ioasid_nested_alloc(struct ioasid_ucmd *ucmd);
void ioasid_nested_destroy(struct ioasid_object *obj);
int ioasid_invalidate_ioctl(struct ioasid_ucmd *ucmd);
int ioasid_device_hw_info(struct device *dev, struct ioasid_device_info *cmd);

/* Fault queues of nested IOASIDs (fault.c). */
struct ioasid_attach;
int ioasid_fault_queue_alloc_ioctl(struct ioasid_ucmd *ucmd);
struct ioasid_fault_queue *ioasid_fault_queue_get(struct ioasid_ctx *ctx,
						  u32 id);
void ioasid_fault_queue_put(struct ioasid_fault_queue *q);
void ioasid_fault_queue_destroy(struct ioasid_object *obj);
int ioasid_fault_iopf_handler(struct iopf_group *group);
int ioasid_fault_attach(struct ioasid_attach *att,
			const struct ioasid_dest *dest);
void ioasid_fault_leave(struct ioasid_attach *att, struct ioasid_nested *old,
			struct ioasid_nested *now);

/**
 * struct ioasid_attach - a group by requester ID, or a PASID of a device,
 *                        attached to an IOAS
 * @dev: the device that asked for the attachment; for a requester ID, the
 *       last device of the group that asked, while it stays attached
 * @dev_id: the id of @dev's binding
 * @group: the IOMMU group of @dev, held by the binding
 * @pasid: the PASID, or IOMMU_NO_PASID for the requester ID
 * @ioas: the IOAS, or NULL while detached
 * @nested: the nested IOASID on @ioas it is attached to, held, or NULL
 * @hwpt: the page table of @ioas it is attached through, or that @nested
 *        nests on
 * @resv: the IOVA ranges the device cannot use through @hwpt, as struct
 *        ioasid_resv, each in @ioas's tree of reserved ranges
 * @handle: how the IOMMU core finds the domain it is attached to, which
 *          replacing a PASID and delivering page requests need
 * @fault_dev: the device whose page requests are enabled while it is
 *             attached to a nested IOASID with a fault queue, or NULL
 * @fault_dev_id: the id of @fault_dev's binding, which its requests name
 */
struct ioasid_attach {
	struct device *dev;
	u32 dev_id;
	struct iommu_group *group;
	ioasid_t pasid;
	struct ioasid_ioas *ioas;
	struct ioasid_nested *nested;
	struct ioasid_hwpt *hwpt;
	struct list_head resv;
	struct iommu_attach_handle handle;
	struct device *fault_dev;
	u32 fault_dev_id;
};

/**
 * struct ioasid_group - the devices of one IOMMU group bound to a context
 * @ctx: the context
 * @group: the IOMMU group, held
 * @users: the bound devices, under @ctx's groups_lock
 * @owners: the bound devices that own their DMA, under @ctx's
 *          groups_lock; the others lend their PASIDs only
 * @lock: serialises attach and detach of the devices and their PASIDs
 * @rid: the attachment of the group's requester IDs: the IOMMU cannot
 *       tell the devices of a group apart, so they share one table
 * @nr_attached: the devices that asked for @rid's IOAS
 *
 * The group is the DMA owner cookie of its devices, so that devices of
 * one group can be owned by one context and never by two.
 */
struct ioasid_group {
	struct ioasid_ctx *ctx;
	struct iommu_group *group;
	unsigned int users;
	unsigned int owners;
	struct mutex lock; /* see @lock above */
	struct ioasid_attach rid;
	unsigned int nr_attached;
};

struct ioasid_group *ioasid_group_get(struct ioasid_ctx *ctx,
				      struct device *dev);
void ioasid_group_put(struct ioasid_group *igroup);
void ioasid_group_add_owner(struct ioasid_group *igroup);
void ioasid_group_remove_owner(struct ioasid_group *igroup);

/**
 * struct ioasid_device - a device bound to a context
 * @ctx: the context
 * @id: the id userspace names the binding by, reserved in @ctx's objects
 *      so that no object gets it, but not an object: lookups and
 *      IOASID_DESTROY find nothing there
 * @dev: the physical device
 * @igroup: its IOMMU group in @ctx, whose lock serialises its attachments
 * @ctx_node: in @ctx's list of devices
 * @owner: the binding owns the device's DMA and may attach its requester
 *         ID; else its driver keeps both and lends PASIDs only
 * @attached: whether the device asked for its group's IOAS
 * @pasids: the attachments of PASIDs, indexed by PASID
 */
struct ioasid_device {
	struct ioasid_ctx *ctx;
	u32 id;
	struct device *dev;
	struct ioasid_group *igroup;
	struct list_head ctx_node;
	bool owner;
	bool attached;
	struct xarray pasids;
};

struct ioasid_device *ioasid_device_bind(struct ioasid_ctx *ctx,
					 struct device *dev);
struct ioasid_device *ioasid_device_bind_pasids(struct ioasid_ctx *ctx,
						struct device *dev);
void ioasid_device_unbind(struct ioasid_device *idev);
bool ioasid_ctx_dma_coherent(struct ioasid_ctx *ctx);
struct ioasid_device *ioasid_ctx_find_device(struct ioasid_ctx *ctx, u32 id);
int ioasid_group_sw_msi(struct iommu_group *group, phys_addr_t *base);
u32 ioasid_attach_ioasid(const struct ioasid_attach *att);
int ioasid_device_attach(struct ioasid_device *idev,
			 const struct ioasid_dest *dest);
void ioasid_device_detach(struct ioasid_device *idev);
int ioasid_device_attach_pasid(struct ioasid_device *idev, ioasid_t pasid,
			       const struct ioasid_dest *dest);
int ioasid_device_detach_pasid(struct ioasid_device *idev, ioasid_t pasid);

int ioasid_pages_walk(const struct ioasid_pages *pages, unsigned long first,
		      unsigned long npages,
		      int (*fn)(void *arg, unsigned long offset,
				unsigned long pfn, unsigned long npages),
		      void *arg);

/* IOASID_SET_ALLOWED_RANGES takes at most this many ranges. */
#define IOASID_MAX_ALLOWED_RANGES 4096

int ioasid_iova_set_build(struct rb_root_cached *set,
			  struct ioasid_iova_range *ranges, size_t num,
			  unsigned long align);
void ioasid_iova_set_clear(struct rb_root_cached *set);
bool ioasid_iova_set_contains(struct rb_root_cached *set, unsigned long start,
			      unsigned long last);
int ioasid_iova_walk_usable(struct rb_root_cached *allowed,
			    struct rb_root_cached *reserved,
			    int (*fn)(void *arg, unsigned long start,
				      unsigned long last),
			    void *arg);
int ioasid_iova_find_free(struct rb_root_cached *allowed,
			  struct rb_root_cached *reserved,
			  struct rb_root_cached *used, unsigned long length,
			  unsigned long align, unsigned long *iova);

/**
 * struct ioasid_resv - an IOVA range that one attachment reserves
 * @node: the range, in the reserved tree of the IOAS @owner is attached
 *        to, where it may overlap the ranges of other attachments
 * @owner: the attachment whose device cannot use the range
 * @owner_node: in @owner's list of ranges, or in a list of ranges being
 *              gathered for it and in no tree yet
 */
struct ioasid_resv {
	struct interval_tree_node node;
	struct ioasid_attach *owner;
	struct list_head owner_node;
};

int ioasid_iova_resv_add(struct list_head *list, struct ioasid_attach *owner,
			 unsigned long start, unsigned long last);
void ioasid_iova_resv_insert(struct rb_root_cached *tree,
			     struct list_head *list);
void ioasid_iova_resv_remove(struct rb_root_cached *tree,
			     struct list_head *list);
void ioasid_iova_resv_free(struct list_head *list);

/**
 * struct ioasid_ucmd - one ioctl call being executed
 * @ctx: the context of the fd the call came through
 * @ubuffer: the caller's struct
 * @user_size: the caller's idea of the struct's size
 * @cmd: the kernel copy of the struct, zero-extended to the kernel's size
 */
struct ioasid_ucmd {
	struct ioasid_ctx *ctx;
	void __user *ubuffer;
	u32 user_size;
	void *cmd;
};

int ioasid_ucmd_respond(struct ioasid_ucmd *ucmd, size_t cmd_len);

/**
 * struct ioasid_ioctl_op - how one ioctl number is executed
 * @execute: the handler; NULL for numbers that are not implemented
 * @size: sizeof() of the struct as this kernel knows it
 * @min_size: size of the struct's first published version
 */
struct ioasid_ioctl_op {
	int (*execute)(struct ioasid_ucmd *ucmd);
	unsigned int size;
	unsigned int min_size;
};

/*
 * Every published command struct.  The dispatcher copies each call into a
 * buffer on its stack that holds at least this union (ioctl.c), and
 * IOASID_IOCTL_OP() checks at build time that the struct of an entry
 * fits in it.
 */
union ioasid_ucmd_buffer {
	struct ioasid_alloc alloc;
	struct ioasid_destroy destroy;
	struct ioasid_info info;
	struct ioasid_iova_ranges iova_ranges;
	struct ioasid_set_allowed_ranges set_allowed_ranges;
	struct ioasid_map map;
	struct ioasid_unmap unmap;
	struct ioasid_copy copy;
	struct ioasid_option option;
	struct ioasid_dirty_read dirty_read;
	struct ioasid_device_info device_info;
	struct ioasid_invalidate invalidate;
	struct ioasid_fault_queue_alloc fault_queue_alloc;
};

int ioasid_alloc_ioctl(struct ioasid_ucmd *ucmd);
int ioasid_destroy_ioctl(struct ioasid_ucmd *ucmd);
int ioasid_iova_ranges_ioctl(struct ioasid_ucmd *ucmd);
int ioasid_set_allowed_ranges_ioctl(struct ioasid_ucmd *ucmd);
int ioasid_map_user(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas,
		    u64 user_va, u64 length, u32 flags, u64 *iova, u64 align);
int ioasid_map_ioctl(struct ioasid_ucmd *ucmd);
int ioasid_unmap_ioctl(struct ioasid_ucmd *ucmd);
int ioasid_copy_ioctl(struct ioasid_ucmd *ucmd);
int ioasid_option_ioctl(struct ioasid_ucmd *ucmd);
int ioasid_dirty_option(struct ioasid_ucmd *ucmd);
int ioasid_dirty_read_ioctl(struct ioasid_ucmd *ucmd);
int ioasid_device_info_ioctl(struct ioasid_ucmd *ucmd);

/*
 * Entry @_nr of an op table, for a struct that fits in @_buffer: @_last
 * is the last field of the first published version of @_struct.
 */
#define IOASID_IOCTL_OP_IN(_buffer, _nr, _fn, _struct, _last)		\
	[_nr] = {							\
		.execute = _fn,						\
		.size = sizeof(_struct) +				\
			BUILD_BUG_ON_ZERO(sizeof(_struct) > sizeof(_buffer)), \
		.min_size = offsetofend(_struct, _last),		\
	}

/* Entry @_nr of an op table, for a struct of union ioasid_ucmd_buffer. */
#define IOASID_IOCTL_OP(_nr, _fn, _struct, _last)			\
	IOASID_IOCTL_OP_IN(union ioasid_ucmd_buffer, _nr, _fn, _struct, _last)

long ioasid_ioctl_dispatch(const struct ioasid_ioctl_op *ops,
			   unsigned int num_ops, struct ioasid_ctx *ctx,
			   unsigned int cmd, void __user *arg);
long ioasid_ioctl(struct ioasid_ctx *ctx, unsigned int cmd,
		  void __user *arg);

/* The VFIO type1 container on a context (vfio_container.c). */
#if IS_ENABLED(CONFIG_DEV_IOASID_VFIO_CONTAINER)
void ioasid_vfio_ctx_init(struct ioasid_ctx *ctx);
void ioasid_vfio_ctx_make_container(struct ioasid_ctx *ctx);
void ioasid_vfio_ctx_destroy(struct ioasid_ctx *ctx);
bool ioasid_vfio_is_container_ioctl(struct ioasid_ctx *ctx, unsigned int cmd);
long ioasid_vfio_ioctl(struct ioasid_ctx *ctx, unsigned int cmd,
		       void __user *arg);
#else
static inline void ioasid_vfio_ctx_init(struct ioasid_ctx *ctx) { }
static inline void ioasid_vfio_ctx_make_container(struct ioasid_ctx *ctx) { }
static inline void ioasid_vfio_ctx_destroy(struct ioasid_ctx *ctx) { }
static inline bool ioasid_vfio_is_container_ioctl(struct ioasid_ctx *ctx,
						  unsigned int cmd)
{
	return false;
}

static inline long ioasid_vfio_ioctl(struct ioasid_ctx *ctx, unsigned int cmd,
				     void __user *arg)
{
	return -ENOTTY;
}
#endif

#endif /* __IOASID_PRIVATE_H */
