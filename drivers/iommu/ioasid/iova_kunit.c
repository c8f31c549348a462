// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of the IOVA range sets: building sets from callers' lists,
 * subtracting reserved ranges, and finding free aligned IOVAs.
 */
#include <kunit/test.h>
#include <linux/interval_tree.h>
#include <linux/slab.h>

#include "ioasid_private.h"

#define R(s, l) { .start = (s), .last = (l) }
#define MAX_RANGES 16

struct collected {
	struct ioasid_iova_range ranges[MAX_RANGES];
	unsigned int count;
};

static int collect(void *arg, unsigned long start, unsigned long last)
{
	struct collected *c = arg;

	if (c->count == MAX_RANGES)
		return -ENOSPC;
	c->ranges[c->count].start = start;
	c->ranges[c->count].last = last;
	c->count++;
	return 0;
}

struct iova_test {
	struct rb_root_cached a;	/* allowed */
	struct rb_root_cached r;	/* reserved */
	struct rb_root_cached u;	/* used */
};

static int iova_test_init(struct kunit *test)
{
	struct iova_test *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, t);
	t->a = RB_ROOT_CACHED;
	t->r = RB_ROOT_CACHED;
	t->u = RB_ROOT_CACHED;
	test->priv = t;
	return 0;
}

static void iova_test_exit(struct kunit *test)
{
	struct iova_test *t = test->priv;

	ioasid_iova_set_clear(&t->a);
	ioasid_iova_set_clear(&t->r);
	ioasid_iova_set_clear(&t->u);
}

/* Builds @set from a copy of @ranges, which the build sorts. */
static int build(struct rb_root_cached *set,
		 const struct ioasid_iova_range *ranges, size_t num,
		 unsigned long align)
{
	struct ioasid_iova_range copy[MAX_RANGES];

	if (num)
		memcpy(copy, ranges, num * sizeof(*ranges));
	return ioasid_iova_set_build(set, copy, num, align);
}

/* Adds a node as a second device's reservation would: without merging. */
static void insert_unmerged(struct kunit *test, struct rb_root_cached *set,
			    unsigned long start, unsigned long last)
{
	struct interval_tree_node *node = kzalloc(sizeof(*node), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, node);
	node->start = start;
	node->last = last;
	interval_tree_insert(node, set);
}

static void expect_usable(struct kunit *test,
			  const struct ioasid_iova_range *want, unsigned int num)
{
	struct iova_test *t = test->priv;
	struct collected got = {};
	unsigned int i;
	int ret;

	ret = ioasid_iova_walk_usable(&t->a, &t->r, collect, &got);
	KUNIT_ASSERT_EQ(test, 0, ret);
	KUNIT_ASSERT_EQ(test, num, got.count);
	for (i = 0; i < num; i++) {
		KUNIT_EXPECT_EQ_MSG(test, want[i].start, got.ranges[i].start,
				    "range %u", i);
		KUNIT_EXPECT_EQ_MSG(test, want[i].last, got.ranges[i].last,
				    "range %u", i);
	}
}

static void build_merges_overlapping_and_adjacent(struct kunit *test)
{
	static const struct ioasid_iova_range in[] = {
		R(0x50000, 0x5ffff), R(0x1000, 0x1fff), R(0x3000, 0x3fff),
		R(0x2000, 0x2fff), R(0x1000, 0x2fff), R(0x8000, 0x8fff),
		R(0x52000, 0x52fff),
	};
	static const struct ioasid_iova_range want[] = {
		R(0x1000, 0x3fff), R(0x8000, 0x8fff), R(0x50000, 0x5ffff),
	};
	struct iova_test *t = test->priv;

	KUNIT_ASSERT_EQ(test, 0, build(&t->a, in, ARRAY_SIZE(in), 0x1000));
	expect_usable(test, want, ARRAY_SIZE(want));
}

static void build_rejects_bad_ranges(struct kunit *test)
{
	static const struct ioasid_iova_range inverted[] = {
		R(0x1000, 0x1fff), R(0x3000, 0x2fff),
	};
	static const struct ioasid_iova_range bad_start[] = { R(0x1800, 0x1fff) };
	static const struct ioasid_iova_range bad_end[] = { R(0x1000, 0x17ff) };
	struct iova_test *t = test->priv;

	KUNIT_EXPECT_EQ(test, -EINVAL, build(&t->a, inverted, 2, 0x1000));
	KUNIT_EXPECT_EQ(test, -EINVAL, build(&t->a, bad_start, 1, 0x1000));
	KUNIT_EXPECT_EQ(test, -EINVAL, build(&t->a, bad_end, 1, 0x1000));
	KUNIT_EXPECT_TRUE(test, RB_EMPTY_ROOT(&t->a.rb_root));
}

static void build_reaches_top_of_space(struct kunit *test)
{
	static const struct ioasid_iova_range in[] = {
		R(ULONG_MAX - 0xffff, ULONG_MAX), R(0, 0xfff),
		R(ULONG_MAX - 0x1fff, ULONG_MAX - 0x1000),
	};
	static const struct ioasid_iova_range want[] = {
		R(0, 0xfff), R(ULONG_MAX - 0xffff, ULONG_MAX),
	};
	struct iova_test *t = test->priv;

	KUNIT_ASSERT_EQ(test, 0, build(&t->a, in, ARRAY_SIZE(in), 0x1000));
	expect_usable(test, want, ARRAY_SIZE(want));
}

static void build_empty_list_allows_nothing(struct kunit *test)
{
	struct iova_test *t = test->priv;

	KUNIT_ASSERT_EQ(test, 0, build(&t->a, NULL, 0, 0x1000));
	expect_usable(test, NULL, 0);
	KUNIT_EXPECT_FALSE(test, ioasid_iova_set_contains(&t->a, 0, 0));
}

static void contains_needs_one_range(struct kunit *test)
{
	static const struct ioasid_iova_range in[] = {
		R(0x1000, 0x2fff), R(0x4000, 0x4fff),
	};
	struct iova_test *t = test->priv;

	KUNIT_ASSERT_EQ(test, 0, build(&t->a, in, ARRAY_SIZE(in), 0x1000));
	KUNIT_EXPECT_TRUE(test, ioasid_iova_set_contains(&t->a, 0x1000, 0x2fff));
	KUNIT_EXPECT_TRUE(test, ioasid_iova_set_contains(&t->a, 0x2000, 0x2000));
	KUNIT_EXPECT_FALSE(test, ioasid_iova_set_contains(&t->a, 0x2000, 0x4fff));
	KUNIT_EXPECT_FALSE(test, ioasid_iova_set_contains(&t->a, 0x0fff, 0x1fff));
	KUNIT_EXPECT_FALSE(test, ioasid_iova_set_contains(&t->a, 0x3000, 0x3fff));
}

/* Reserved ranges from several devices overlap one another. */
static void usable_subtracts_overlapping_reserved(struct kunit *test)
{
	static const struct ioasid_iova_range allowed[] = {
		R(0, 0xffff), R(0x20000, 0x2ffff),
	};
	static const struct ioasid_iova_range want[] = {
		R(0, 0xfff), R(0x3000, 0xffff), R(0x20000, 0x2efff),
	};
	struct iova_test *t = test->priv;

	KUNIT_ASSERT_EQ(test, 0, build(&t->a, allowed, 2, 0x1000));
	insert_unmerged(test, &t->r, 0x1000, 0x1fff);
	insert_unmerged(test, &t->r, 0x1800, 0x2fff);
	insert_unmerged(test, &t->r, 0x2f000, 0x3ffff);
	expect_usable(test, want, ARRAY_SIZE(want));
}

/*
 * Two attachments' reserved ranges overlap in an IOAS's tree and leave it
 * apart: taking one's out leaves all of the other's.
 */
static void resv_owners_overlap_and_leave_apart(struct kunit *test)
{
	static const struct ioasid_iova_range allowed[] = { R(0, 0xffff) };
	static const struct ioasid_iova_range both[] = {
		R(0, 0xfff), R(0x4000, 0xffff),
	};
	static const struct ioasid_iova_range only_b[] = {
		R(0, 0x1fff), R(0x4000, 0xffff),
	};
	struct iova_test *t = test->priv;
	LIST_HEAD(a);
	LIST_HEAD(b);

	KUNIT_ASSERT_EQ(test, 0, build(&t->a, allowed, 1, 0x1000));
	KUNIT_ASSERT_EQ(test, 0, ioasid_iova_resv_add(&a, NULL, 0x1000, 0x2fff));
	KUNIT_ASSERT_EQ(test, 0, ioasid_iova_resv_add(&b, NULL, 0x2000, 0x3fff));
	ioasid_iova_resv_insert(&t->r, &a);
	ioasid_iova_resv_insert(&t->r, &b);
	expect_usable(test, both, ARRAY_SIZE(both));

	ioasid_iova_resv_remove(&t->r, &a);
	ioasid_iova_resv_free(&a);
	KUNIT_EXPECT_TRUE(test, list_empty(&a));
	expect_usable(test, only_b, ARRAY_SIZE(only_b));

	ioasid_iova_resv_remove(&t->r, &b);
	ioasid_iova_resv_free(&b);
	KUNIT_EXPECT_TRUE(test, RB_EMPTY_ROOT(&t->r.rb_root));
	expect_usable(test, allowed, ARRAY_SIZE(allowed));
}

static int find(struct kunit *test, unsigned long length,
		unsigned long align, unsigned long *iova)
{
	struct iova_test *t = test->priv;

	return ioasid_iova_find_free(&t->a, &t->r, &t->u, length, align, iova);
}

/* Expects the search for @length bytes at @align to answer @want. */
static void expect_found(struct kunit *test, unsigned long length,
			 unsigned long align, unsigned long want)
{
	unsigned long iova = 0;

	KUNIT_EXPECT_EQ_MSG(test, 0, find(test, length, align, &iova),
			    "length %#lx align %#lx", length, align);
	KUNIT_EXPECT_EQ_MSG(test, want, iova, "length %#lx align %#lx",
			    length, align);
}

static void find_free_honours_alignment(struct kunit *test)
{
	static const struct ioasid_iova_range everything[] = { R(0, ULONG_MAX) };
	static const struct ioasid_iova_range used[] = { R(0, 0x1fff) };
	struct iova_test *t = test->priv;

	KUNIT_ASSERT_EQ(test, 0, build(&t->a, everything, 1, 1));
	KUNIT_ASSERT_EQ(test, 0, build(&t->u, used, 1, 1));
	expect_found(test, 0x1000, 0x1000, 0x2000);
	expect_found(test, 0x1000, 0x10000, 0x10000);
	expect_found(test, 0x200000, 0x200000, 0x200000);
}

static void find_free_exact_fit_and_no_fit(struct kunit *test)
{
	static const struct ioasid_iova_range allowed[] = {
		R(0x1000, 0x2fff), R(0x8000, 0xffff),
	};
	static const struct ioasid_iova_range used[] = { R(0x9000, 0x9fff) };
	struct iova_test *t = test->priv;
	unsigned long iova = 0;

	KUNIT_ASSERT_EQ(test, 0, build(&t->a, allowed, 2, 0x1000));
	KUNIT_ASSERT_EQ(test, 0, build(&t->u, used, 1, 1));
	expect_found(test, 0x2000, 0x1000, 0x1000);
	/* 0x6000 bytes free after the used page, none before it. */
	expect_found(test, 0x6000, 0x1000, 0xa000);
	KUNIT_EXPECT_EQ(test, -ENOSPC, find(test, 0x7000, 0x1000, &iova));
}

static void find_free_skips_reserved(struct kunit *test)
{
	static const struct ioasid_iova_range allowed[] = { R(0, 0xffff) };
	static const struct ioasid_iova_range reserved[] = { R(0, 0x7fff) };
	struct iova_test *t = test->priv;

	KUNIT_ASSERT_EQ(test, 0, build(&t->a, allowed, 1, 0x1000));
	KUNIT_ASSERT_EQ(test, 0, build(&t->r, reserved, 1, 1));
	expect_found(test, 0x1000, 0x1000, 0x8000);
}

/* Aligning up near the top of the space must not wrap to zero. */
static void find_free_does_not_wrap(struct kunit *test)
{
	static const struct ioasid_iova_range top[] = {
		R(ULONG_MAX - 0x2fff, ULONG_MAX),
	};
	struct iova_test *t = test->priv;
	unsigned long iova = 0;

	KUNIT_ASSERT_EQ(test, 0, build(&t->a, top, 1, 0x1000));
	expect_found(test, 0x3000, 0x1000, ULONG_MAX - 0x2fff);
	KUNIT_EXPECT_EQ(test, -ENOSPC, find(test, 0x1000, 0x10000, &iova));
}

static struct kunit_case iova_cases[] = {
	KUNIT_CASE(build_merges_overlapping_and_adjacent),
	KUNIT_CASE(build_rejects_bad_ranges),
	KUNIT_CASE(build_reaches_top_of_space),
	KUNIT_CASE(build_empty_list_allows_nothing),
	KUNIT_CASE(contains_needs_one_range),
	KUNIT_CASE(usable_subtracts_overlapping_reserved),
	KUNIT_CASE(resv_owners_overlap_and_leave_apart),
	KUNIT_CASE(find_free_honours_alignment),
	KUNIT_CASE(find_free_exact_fit_and_no_fit),
	KUNIT_CASE(find_free_skips_reserved),
	KUNIT_CASE(find_free_does_not_wrap),
	{}
};

static struct kunit_suite iova_suite = {
	.name = "ioasid-iova",
	.init = iova_test_init,
	.exit = iova_test_exit,
	.test_cases = iova_cases,
};

kunit_test_suite(iova_suite);

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
MODULE_DESCRIPTION("KUnit tests of the /dev/ioasid IOVA range sets");
MODULE_LICENSE("GPL");
