// SPDX-License-Identifier: GPL-2.0-only
/*
 * Sets of IOVA ranges: what an IOAS allows, what its devices reserve, and
 * the search for a free, aligned IOVA among them.
 *
 * A set is an interval tree of disjoint, non-adjacent ranges, so that
 * "is [start, last] inside the set" is a single lookup.  The reserved
 * tree of an IOAS is not a set: each attachment adds its own ranges when
 * it attaches and takes them out when it detaches, so ranges of two
 * devices may overlap; the span iterator walks the holes of such a tree
 * correctly.
 */
#include <kunit/visibility.h>
#include <linux/align.h>
#include <linux/interval_tree.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "ioasid_private.h"

static int iova_cmp_start(const void *a, const void *b)
{
	const struct ioasid_iova_range *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return 0;
}

static int iova_insert_range(struct rb_root_cached *set, unsigned long start,
			     unsigned long last)
{
	struct interval_tree_node *node;

	node = kzalloc(sizeof(*node), GFP_KERNEL_ACCOUNT);
	if (!node)
		return -ENOMEM;
	node->start = start;
	node->last = last;
	interval_tree_insert(node, set);
	return 0;
}

/**
 * ioasid_iova_set_build() - make a set from a caller's list of ranges
 * @set: an empty set
 * @ranges: the list, in any order; sorted in place
 * @num: entries in @ranges
 * @align: a power of two that every range must start at and end before
 *
 * Overlapping and adjacent ranges merge.  On failure @set stays empty.
 *
 * Return: 0, -EINVAL for a range that is inverted or not aligned, or
 * -ENOMEM.
 */
int ioasid_iova_set_build(struct rb_root_cached *set,
			  struct ioasid_iova_range *ranges, size_t num,
			  unsigned long align)
{
	unsigned long start = 0, last = 0;
	bool open = false;
	size_t i;
	int ret;

	for (i = 0; i < num; i++) {
		if (ranges[i].start > ranges[i].last ||
		    !IS_ALIGNED(ranges[i].start, align) ||
		    !IS_ALIGNED(ranges[i].last + 1, align))
			return -EINVAL;
	}
	sort(ranges, num, sizeof(*ranges), iova_cmp_start, NULL);

	for (i = 0; i < num; i++) {
		/* last + 1 wraps to 0 only when last is the top of the space */
		if (open && (last == ULONG_MAX || ranges[i].start <= last + 1)) {
			last = max_t(unsigned long, last, ranges[i].last);
			continue;
		}
		if (open) {
			ret = iova_insert_range(set, start, last);
			if (ret)
				goto err;
		}
		start = ranges[i].start;
		last = ranges[i].last;
		open = true;
	}
	if (open) {
		ret = iova_insert_range(set, start, last);
		if (ret)
			goto err;
	}
	return 0;
err:
	ioasid_iova_set_clear(set);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(ioasid_iova_set_build);

/**
 * ioasid_iova_set_clear() - empty a set, freeing its nodes
 * @set: the set
 */
void ioasid_iova_set_clear(struct rb_root_cached *set)
{
	struct interval_tree_node *node;

	while ((node = interval_tree_iter_first(set, 0, ULONG_MAX))) {
		interval_tree_remove(node, set);
		kfree(node);
	}
}
EXPORT_SYMBOL_IF_KUNIT(ioasid_iova_set_clear);

/**
 * ioasid_iova_set_contains() - whether a range lies wholly inside a set
 * @set: a set made by ioasid_iova_set_build()
 * @start: first IOVA of the range
 * @last: last IOVA of the range
 *
 * Return: true when every IOVA of [@start, @last] is in @set.
 */
bool ioasid_iova_set_contains(struct rb_root_cached *set, unsigned long start,
			      unsigned long last)
{
	struct interval_tree_node *node;

	/* Merged ranges never touch, so one node must hold all of it. */
	node = interval_tree_iter_first(set, start, start);
	return node && node->last >= last;
}
EXPORT_SYMBOL_IF_KUNIT(ioasid_iova_set_contains);

/**
 * ioasid_iova_walk_usable() - visit what @allowed has and @reserved lacks
 * @allowed: a set made by ioasid_iova_set_build()
 * @reserved: ranges that may overlap each other
 * @fn: called in ascending order with the first and last IOVA of each
 *      usable range; a non-zero return stops the walk
 * @arg: passed to @fn
 *
 * Return: 0 after a full walk, or what @fn returned to stop it.
 */
int ioasid_iova_walk_usable(struct rb_root_cached *allowed,
			    struct rb_root_cached *reserved,
			    int (*fn)(void *arg, unsigned long start,
				      unsigned long last),
			    void *arg)
{
	struct interval_tree_span_iter span;
	struct interval_tree_node *node;
	int ret;

	for (node = interval_tree_iter_first(allowed, 0, ULONG_MAX); node;
	     node = interval_tree_iter_next(node, 0, ULONG_MAX)) {
		interval_tree_for_each_span(&span, reserved, node->start, node->last) {
			if (!span.is_hole)
				continue;
			ret = fn(arg, span.start_hole, span.last_hole);
			if (ret)
				return ret;
		}
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(ioasid_iova_walk_usable);

struct free_search {
	struct rb_root_cached *used;
	unsigned long length;
	unsigned long align;
	unsigned long iova;
};

/* Whether @length bytes at an @align boundary fit in [start, last]. */
static bool iova_aligned_fit(unsigned long start, unsigned long last,
			     unsigned long length, unsigned long align,
			     unsigned long *iova)
{
	unsigned long first = ALIGN(start, align);

	if (first < start || first > last || last - first < length - 1)
		return false;
	*iova = first;
	return true;
}

static int iova_search_usable(void *arg, unsigned long start,
			      unsigned long last)
{
	struct free_search *search = arg;
	struct interval_tree_span_iter span;

	interval_tree_for_each_span(&span, search->used, start, last) {
		if (span.is_hole &&
		    iova_aligned_fit(span.start_hole, span.last_hole,
				     search->length, search->align,
				     &search->iova))
			return 1;
		/* A crowded IOAS has a span per mapping: give the CPU up. */
		cond_resched();
	}
	return 0;
}

/**
 * ioasid_iova_find_free() - find the lowest free, aligned IOVA range
 * @allowed: where mappings may go
 * @reserved: where they may not, although allowed
 * @used: what is mapped already
 * @length: bytes wanted, at least 1
 * @align: a power of two the IOVA must be a multiple of
 * @iova: the answer
 *
 * Return: 0, or -ENOSPC when no usable hole is large enough.
 */
int ioasid_iova_find_free(struct rb_root_cached *allowed,
			  struct rb_root_cached *reserved,
			  struct rb_root_cached *used, unsigned long length,
			  unsigned long align, unsigned long *iova)
{
	struct free_search search = {
		.used = used,
		.length = length,
		.align = align,
	};

	if (!ioasid_iova_walk_usable(allowed, reserved, iova_search_usable,
				     &search))
		return -ENOSPC;
	*iova = search.iova;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(ioasid_iova_find_free);

/**
 * ioasid_iova_resv_add() - gather a range an attachment reserves
 * @list: ranges of @owner that are in no tree yet
 * @owner: the attachment
 * @start: first IOVA of the range
 * @last: last IOVA of the range
 *
 * Return: 0, -EINVAL for an inverted range, or -ENOMEM.
 */
int ioasid_iova_resv_add(struct list_head *list, struct ioasid_attach *owner,
			 unsigned long start, unsigned long last)
{
	struct ioasid_resv *resv;

	if (start > last)
		return -EINVAL;
	resv = kzalloc(sizeof(*resv), GFP_KERNEL_ACCOUNT);
	if (!resv)
		return -ENOMEM;
	resv->node.start = start;
	resv->node.last = last;
	resv->owner = owner;
	list_add_tail(&resv->owner_node, list);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(ioasid_iova_resv_add);

/**
 * ioasid_iova_resv_insert() - add an attachment's ranges to a reserved tree
 * @tree: the ranges of every attachment of an IOAS, overlapping or not
 * @list: the ranges from ioasid_iova_resv_add(), in no tree
 *
 * Nothing is allocated and nothing merged, so this cannot fail, and
 * ioasid_iova_resv_remove() takes out exactly what this put in.
 */
void ioasid_iova_resv_insert(struct rb_root_cached *tree,
			     struct list_head *list)
{
	struct ioasid_resv *resv;

	list_for_each_entry(resv, list, owner_node)
		interval_tree_insert(&resv->node, tree);
}
EXPORT_SYMBOL_IF_KUNIT(ioasid_iova_resv_insert);

/**
 * ioasid_iova_resv_remove() - take an attachment's ranges out of a tree
 * @tree: the tree ioasid_iova_resv_insert() put them in
 * @list: the ranges; the ranges of other attachments stay in @tree, also
 *        where they overlap these
 */
void ioasid_iova_resv_remove(struct rb_root_cached *tree,
			     struct list_head *list)
{
	struct ioasid_resv *resv;

	list_for_each_entry(resv, list, owner_node)
		interval_tree_remove(&resv->node, tree);
}
EXPORT_SYMBOL_IF_KUNIT(ioasid_iova_resv_remove);

/**
 * ioasid_iova_resv_free() - free ranges that are in no tree
 * @list: the ranges, which is empty afterwards
 */
void ioasid_iova_resv_free(struct list_head *list)
{
	struct ioasid_resv *resv, *next;

	list_for_each_entry_safe(resv, next, list, owner_node) {
		list_del(&resv->owner_node);
		kfree(resv);
	}
}
EXPORT_SYMBOL_IF_KUNIT(ioasid_iova_resv_free);
