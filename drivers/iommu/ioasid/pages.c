// SPDX-License-Identifier: GPL-2.0-only
/*
 * Pinned user memory.  The pages of one IOASID_MAP are pinned once and
 * described as runs of physically contiguous pages, so memory backed by
 * large folios costs one entry per folio or better rather than one per
 * page.  Mappings share a pinned range by reference: IOASID_COPY never
 * pins again.  This file owns pinning, the runs and unpinning them; when
 * frames.c keeps a range's frames in the IOMMU page tables instead, it
 * drops the runs, or pins the range a batch at a time and records only
 * its first batches, and unpins the frames it kept itself.
 *
 * Pinning and unpinning gigabytes of 4 KiB pages takes long: both give
 * the CPU up every batch of pages, and pinning stops when the caller is
 * killed, unpinning what it pinned.
 */
#include <kunit/visibility.h>
#include <linux/kref.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "ioasid_private.h"
#include "trace.h"

/* Pages unpinned between two chances to reschedule. */
#define UNPIN_BATCH	512

/**
 * ioasid_pfn_run_extends() - whether a page continues the last run
 * @runs: the runs so far
 * @nr_runs: entries in @runs
 * @index: the page's index within the pinned range
 * @pfn: the page's frame number
 *
 * Return: true when the page at @index follows the last run both in the
 * range and in physical memory.
 */
bool ioasid_pfn_run_extends(const struct ioasid_pfn_run *runs,
			    unsigned long nr_runs, unsigned long index,
			    unsigned long pfn)
{
	const struct ioasid_pfn_run *last;

	if (!nr_runs)
		return false;
	last = &runs[nr_runs - 1];
	return pfn - last->pfn == index - last->index;
}
EXPORT_SYMBOL_IF_KUNIT(ioasid_pfn_run_extends);

static void pages_free_runs(struct ioasid_pages *pages)
{
	if (pages->runs != &pages->one_run)
		kvfree(pages->runs);
}

/*
 * Makes room for @more runs, which is as many as a batch can add.  A
 * single page needs no array: its run is kept in the pages themselves.
 */
static int pages_reserve_runs(struct ioasid_pages *pages,
			      unsigned long *capacity, unsigned long more)
{
	unsigned long want = pages->nr_runs + more;
	struct ioasid_pfn_run *runs;

	if (want <= *capacity)
		return 0;
	if (pages->npages == 1) {
		pages->runs = &pages->one_run;
		*capacity = 1;
		return 0;
	}
	want = max(want, *capacity * 2);
	runs = kvrealloc(pages->runs, array_size(want, sizeof(*runs)),
			 GFP_KERNEL_ACCOUNT);
	if (!runs)
		return -ENOMEM;
	pages->runs = runs;
	*capacity = want;
	return 0;
}

/*
 * Whether the four pages from @batch[n] follow @first in memory.  One
 * branch for four pages: for memory in large folios this loop is what
 * pinning costs on top of the GUP core.
 */
static bool pages_next_four_follow(struct page **batch, struct page *first,
				   unsigned long n)
{
	return !(((uintptr_t)batch[n] ^ (uintptr_t)nth_page(first, n)) |
		 ((uintptr_t)batch[n + 1] ^ (uintptr_t)nth_page(first, n + 1)) |
		 ((uintptr_t)batch[n + 2] ^ (uintptr_t)nth_page(first, n + 2)) |
		 ((uintptr_t)batch[n + 3] ^ (uintptr_t)nth_page(first, n + 3)));
}

/**
 * ioasid_pages_contiguous() - the length of the run a batch starts with
 * @batch: pages from the GUP core, at least one
 * @max: pages in @batch
 *
 * Return: the number of pages from @batch[0] on that follow it in memory.
 */
unsigned long ioasid_pages_contiguous(struct page **batch, unsigned long max)
{
	unsigned long n = 1;

	while (n + 4 <= max && pages_next_four_follow(batch, batch[0], n))
		n += 4;
	while (n < max && batch[n] == nth_page(batch[0], n))
		n++;
	return n;
}

/* Starts a run at @index of the range unless @pfn continues the last one. */
static void pages_add_run(struct ioasid_pages *pages, unsigned long index,
			  unsigned long pfn)
{
	if (ioasid_pfn_run_extends(pages->runs, pages->nr_runs, index, pfn))
		return;
	pages->runs[pages->nr_runs++] = (struct ioasid_pfn_run) {
		.pfn = pfn,
		.index = index,
	};
}

/*
 * Records a batch from the GUP core a run at a time: memory in large
 * folios costs a compare per page rather than a call.
 */
static void pages_record_batch(struct ioasid_pages *pages, unsigned long index,
			       struct page **batch, unsigned long npages)
{
	unsigned long i, n;

	for (i = 0; i < npages; i += n) {
		n = ioasid_pages_contiguous(batch + i, npages - i);
		pages_add_run(pages, index + i, page_to_pfn(batch[i]));
	}
}

/* The number of pages in run @i of @pages. */
static unsigned long pages_run_npages(const struct ioasid_pages *pages,
				      unsigned long i)
{
	unsigned long end = i + 1 < pages->nr_runs ? pages->runs[i + 1].index :
						    pages->npages;

	return end - pages->runs[i].index;
}

/**
 * ioasid_unpin_range() - unpin contiguous pages, rescheduling now and then
 * @pfn: the frame of the first page
 * @npages: the number of pages
 * @dirty: whether to mark them dirty, as a device may have written them
 * @since: pages unpinned since the caller last rescheduled, carried from
 *         one call to the next so that short ranges cost no extra call
 *
 * Must be called where sleeping is allowed.
 */
void ioasid_unpin_range(unsigned long pfn, unsigned long npages, bool dirty,
			unsigned long *since)
{
	while (npages) {
		unsigned long n = min(npages, UNPIN_BATCH - *since);

		unpin_user_page_range_dirty_lock(pfn_to_page(pfn), n, dirty);
		pfn += n;
		npages -= n;
		*since += n;
		if (*since == UNPIN_BATCH) {
			cond_resched();
			*since = 0;
		}
	}
}

/* Unpins what the runs hold before page @end: the last run ends there. */
static void pages_unpin_runs(struct ioasid_pages *pages, unsigned long end)
{
	unsigned long i, since = 0;

	for (i = 0; i < pages->nr_runs; i++)
		ioasid_unpin_range(pages->runs[i].pfn,
				   min(pages_run_npages(pages, i),
				       end - pages->runs[i].index),
				   pages->writable, &since);
}

/*
 * Counts @npages in @ctx and charges them to the caller's account, which
 * is returned with a reference; an ERR_PTR with nothing held otherwise.
 */
static struct ioasid_account *pages_charge(struct ioasid_ctx *ctx,
					   unsigned long npages)
{
	struct ioasid_account *acct = ioasid_ctx_pin_begin(ctx, npages);
	int ret;

	if (IS_ERR(acct))
		return acct;
	ret = ioasid_account_charge(acct, npages);
	if (ret) {
		ioasid_ctx_pin_end(acct, npages);
		return ERR_PTR(ret);
	}
	return acct;
}

/* Undoes pages_charge(), dropping its reference on @acct. */
static void pages_uncharge(struct ioasid_account *acct, unsigned long npages)
{
	ioasid_account_uncharge(acct, npages);
	ioasid_ctx_pin_end(acct, npages);
}

/* One kmalloc-64 object per small mapping (struct ioasid_pages). */
static_assert(sizeof(struct ioasid_pages) <= 64);

/**
 * ioasid_pages_new() - charge pages that are about to be pinned
 * @ctx: the context whose accounting mode applies
 * @npages: pages to be pinned, at least one
 * @writable: whether devices may write them
 *
 * The caller pins them in order, a batch at a time, with
 * ioasid_pages_pin_batch(), and records each batch in the runs with
 * ioasid_pages_add_batch() unless it keeps their frames elsewhere; if
 * pinning fails, it unpins them with ioasid_pages_unpin_recorded() before
 * it drops its reference.
 *
 * Return: the pages, charged for @npages, with one reference and nothing
 * pinned; or ERR_PTR(-ENOMEM), also when RLIMIT_MEMLOCK would be exceeded.
 */
struct ioasid_pages *ioasid_pages_new(struct ioasid_ctx *ctx,
				      unsigned long npages, bool writable)
{
	struct ioasid_pages *pages;
	struct ioasid_account *acct;

	pages = kzalloc(sizeof(*pages), GFP_KERNEL_ACCOUNT);
	if (!pages)
		return ERR_PTR(-ENOMEM);
	acct = pages_charge(ctx, npages);
	if (IS_ERR(acct)) {
		kfree(pages);
		return ERR_CAST(acct);
	}
	kref_init(&pages->kref);
	pages->npages = npages;
	pages->writable = writable;
	pages->acct = acct;
	trace_ioasid_pin(ctx->id, npages);
	return pages;
}
EXPORT_SYMBOL_IF_KUNIT(ioasid_pages_new);

/**
 * ioasid_pages_pin_batch() - pin the next pages of new pages
 * @pages: from ioasid_pages_new()
 * @uaddr: the first page to pin, aligned
 * @batch: where the pinned pages go
 * @want: pages to pin, at least one, within @pages
 *
 * Gives the CPU up first, and gives up itself when the caller has been
 * killed.
 *
 * Return: the number of pages pinned from @uaddr on, at least one; or
 * -EINTR, -EFAULT when the memory is not there or not writable, or the
 * GUP core's error, with nothing pinned.
 */
long ioasid_pages_pin_batch(struct ioasid_pages *pages, unsigned long uaddr,
			    struct page **batch, unsigned long want)
{
	unsigned int gup_flags = FOLL_LONGTERM |
				 (pages->writable ? FOLL_WRITE : 0);
	long got;

	if (fatal_signal_pending(current))
		return -EINTR;
	cond_resched();
	got = pin_user_pages_fast(uaddr, want, gup_flags, batch);
	return got ? got : -EFAULT;
}
EXPORT_SYMBOL_IF_KUNIT(ioasid_pages_pin_batch);

/**
 * ioasid_pages_add_batch() - record pinned pages in the runs
 * @pages: from ioasid_pages_new()
 * @index: the index in @pages of @batch[0]: batches are added in order
 * @batch: pages from ioasid_pages_pin_batch()
 * @n: pages in @batch
 * @capacity: the entries @pages has room for, 0 before the first call
 *
 * Return: 0, or -ENOMEM; then @batch is not recorded and stays pinned.
 */
int ioasid_pages_add_batch(struct ioasid_pages *pages, unsigned long index,
			   struct page **batch, unsigned long n,
			   unsigned long *capacity)
{
	int ret = pages_reserve_runs(pages, capacity, n);

	if (ret)
		return ret;
	pages_record_batch(pages, index, batch, n);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(ioasid_pages_add_batch);

/**
 * ioasid_pages_unpin_recorded() - undo the pinning of new pages
 * @pages: from ioasid_pages_new(), whose pinning failed
 * @recorded: the pages its runs hold, from the first
 *
 * Unpins what the runs hold and drops them; pages the caller pinned and
 * did not record it unpins itself.  The charge goes with the last
 * reference to @pages, as ever.
 */
void ioasid_pages_unpin_recorded(struct ioasid_pages *pages,
				 unsigned long recorded)
{
	pages_unpin_runs(pages, recorded);
	ioasid_pages_drop_runs(pages);
}
EXPORT_SYMBOL_IF_KUNIT(ioasid_pages_unpin_recorded);

/**
 * ioasid_pin_page() - pin and charge one page of the caller's memory
 * @ctx: the context whose accounting mode applies
 * @uaddr: the page, aligned
 * @writable: whether devices may write it
 * @pfn: set to its frame
 *
 * For a mapping that holds its one page itself (frames.c); it releases
 * the page with ioasid_unpin_page(), or gives it to ioasid_pages_adopt().
 *
 * Return: the account charged, with a reference, or an ERR_PTR: -ENOMEM
 * when RLIMIT_MEMLOCK would be exceeded, -EFAULT when the page is not
 * there or not writable, or the GUP core's error; then nothing stays
 * pinned or charged.
 */
struct ioasid_account *ioasid_pin_page(struct ioasid_ctx *ctx,
				       unsigned long uaddr, bool writable,
				       unsigned long *pfn)
{
	unsigned int gup_flags = FOLL_LONGTERM | (writable ? FOLL_WRITE : 0);
	struct ioasid_account *acct = pages_charge(ctx, 1);
	struct page *page;
	int ret;

	if (IS_ERR(acct))
		return acct;
	ret = pin_user_pages_fast(uaddr, 1, gup_flags, &page);
	if (ret != 1) {
		pages_uncharge(acct, 1);
		return ERR_PTR(ret < 0 ? ret : -EFAULT);
	}
	*pfn = page_to_pfn(page);
	trace_ioasid_pin(ctx->id, 1);
	return acct;
}
EXPORT_SYMBOL_IF_KUNIT(ioasid_pin_page);

/**
 * ioasid_unpin_page() - release a page of ioasid_pin_page()
 * @acct: the account it returned, whose reference this drops
 * @pfn: the page's frame
 * @writable: as it was pinned; the page is marked dirty then, since a
 *            device may have written it
 */
void ioasid_unpin_page(struct ioasid_account *acct, unsigned long pfn,
		       bool writable)
{
	unpin_user_page_range_dirty_lock(pfn_to_page(pfn), 1, writable);
	trace_ioasid_unpin(acct->ctx->id, 1);
	pages_uncharge(acct, 1);
}
EXPORT_SYMBOL_IF_KUNIT(ioasid_unpin_page);

/**
 * ioasid_pages_adopt() - make pages of a page ioasid_pin_page() pinned
 * @acct: the account it returned, whose reference the pages take over
 * @pfn: the page's frame
 * @writable: as it was pinned
 *
 * Return: the pages with one reference, or NULL when out of memory; then
 * the caller still holds the page.
 */
struct ioasid_pages *ioasid_pages_adopt(struct ioasid_account *acct,
					unsigned long pfn, bool writable)
{
	struct ioasid_pages *pages;

	pages = kzalloc(sizeof(*pages), GFP_KERNEL_ACCOUNT);
	if (!pages)
		return NULL;
	kref_init(&pages->kref);
	pages->writable = writable;
	pages->acct = acct;
	pages->npages = 1;
	pages->one_run.pfn = pfn;
	pages->runs = &pages->one_run;
	pages->nr_runs = 1;
	return pages;
}
EXPORT_SYMBOL_IF_KUNIT(ioasid_pages_adopt);

static void pages_release(struct kref *kref)
{
	struct ioasid_pages *pages = container_of(kref, struct ioasid_pages,
						  kref);

	/* Frames kept elsewhere were unpinned by their keeper (frames.c). */
	pages_unpin_runs(pages, pages->npages);
	trace_ioasid_unpin(pages->acct->ctx->id, pages->npages);
	pages_uncharge(pages->acct, pages->npages);
	pages_free_runs(pages);
	kfree(pages);
}

void ioasid_pages_get(struct ioasid_pages *pages)
{
	kref_get(&pages->kref);
}

/**
 * ioasid_pages_put() - drop a reference; the last one unpins
 * @pages: the pinned pages
 *
 * Writable pages are marked dirty as they are unpinned, since a device
 * may have written them.
 */
void ioasid_pages_put(struct ioasid_pages *pages)
{
	kref_put(&pages->kref, pages_release);
}
EXPORT_SYMBOL_IF_KUNIT(ioasid_pages_put);

/**
 * ioasid_pages_drop_runs() - forget where the pages are: someone else knows
 * @pages: pinned pages whose frames the caller keeps elsewhere
 *
 * The caller unpins the frames itself, or gives the runs back with
 * ioasid_pages_set_runs(), before the last reference goes: from now on
 * the pages unpin nothing of their own.
 */
void ioasid_pages_drop_runs(struct ioasid_pages *pages)
{
	pages_free_runs(pages);
	pages->runs = NULL;
	pages->nr_runs = 0;
}

/**
 * ioasid_pages_set_runs() - give pages whose runs were dropped runs again
 * @pages: pages after ioasid_pages_drop_runs()
 * @runs: their runs, which @pages now owns
 * @nr_runs: entries in @runs
 */
void ioasid_pages_set_runs(struct ioasid_pages *pages,
			   struct ioasid_pfn_run *runs, unsigned long nr_runs)
{
	pages->runs = runs;
	pages->nr_runs = nr_runs;
}

/* The index of the run that holds page @index. */
static unsigned long pages_find_run(const struct ioasid_pages *pages,
				    unsigned long index)
{
	unsigned long lo = 0, hi = pages->nr_runs;

	while (hi - lo > 1) {
		unsigned long mid = lo + (hi - lo) / 2;

		if (pages->runs[mid].index <= index)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/**
 * ioasid_pages_walk() - call @fn for each contiguous piece of a window
 * @pages: the pinned pages
 * @first: index of the window's first page
 * @npages: pages in the window, within @pages
 * @fn: called with the offset in the window, the pfn and the length of
 *      each physically contiguous piece, in order
 * @arg: passed to @fn
 *
 * Return: 0, or the first non-zero value @fn returned.
 */
int ioasid_pages_walk(const struct ioasid_pages *pages, unsigned long first,
		      unsigned long npages,
		      int (*fn)(void *arg, unsigned long offset,
				unsigned long pfn, unsigned long npages),
		      void *arg)
{
	unsigned long end = first + npages, index = first;
	unsigned long i = pages_find_run(pages, first);
	int ret;

	for (; index < end; i++) {
		unsigned long skip = index - pages->runs[i].index;
		unsigned long len = min(pages_run_npages(pages, i) - skip,
					end - index);

		ret = fn(arg, index - first, pages->runs[i].pfn + skip, len);
		if (ret)
			return ret;
		index += len;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(ioasid_pages_walk);
