// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of pinning: the memlock arithmetic, the coalescing of pages
 * into runs, and pins of real user memory with exact accounting.
 */
#include <kunit/test.h>
#include <linux/highmem.h>
#include <linux/mman.h>
#include <linux/sched/mm.h>
#include <linux/sched/user.h>
#include <linux/uaccess.h>

#include "ioasid_private.h"

#define TEST_PAGES 8
/* Fewer than a test pins at once, so that runs span batches. */
#define TEST_PIN_BATCH 3

struct pin_test {
	struct ioasid_ctx *ctx;
	unsigned long uaddr;
};

static int pin_test_init(struct kunit *test)
{
	struct pin_test *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	unsigned long i;

	KUNIT_ASSERT_NOT_NULL(test, t);
	t->uaddr = kunit_vm_mmap(test, NULL, 0, TEST_PAGES * PAGE_SIZE,
				 PROT_READ | PROT_WRITE,
				 MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR_VALUE(t->uaddr) || !t->uaddr,
			       "no user memory: %ld", (long)t->uaddr);
	/* Page i starts with the byte 'a' + i, to recognise it by. */
	for (i = 0; i < TEST_PAGES; i++) {
		char mark = 'a' + i;

		KUNIT_ASSERT_EQ(test, 0,
				copy_to_user((void __user *)(t->uaddr +
							     i * PAGE_SIZE),
					     &mark, 1));
	}
	t->ctx = ioasid_ctx_alloc();
	KUNIT_ASSERT_NOT_NULL(test, t->ctx);
	test->priv = t;
	return 0;
}

static void pin_test_exit(struct kunit *test)
{
	struct pin_test *t = test->priv;

	if (t && t->ctx)
		ioasid_ctx_free(t->ctx);
}

static void account_fits_within_limit(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, ioasid_account_fits(0, 0, 0));
	KUNIT_EXPECT_TRUE(test, ioasid_account_fits(5, 5, 10));
	KUNIT_EXPECT_FALSE(test, ioasid_account_fits(5, 6, 10));
	KUNIT_EXPECT_FALSE(test, ioasid_account_fits(0, 1, 0));
	KUNIT_EXPECT_TRUE(test, ioasid_account_fits(0, ULONG_MAX, ULONG_MAX));
}

static void account_fits_rejects_overflow(struct kunit *test)
{
	KUNIT_EXPECT_FALSE(test, ioasid_account_fits(ULONG_MAX, 1, ULONG_MAX));
	KUNIT_EXPECT_FALSE(test, ioasid_account_fits(1, ULONG_MAX, ULONG_MAX));
	KUNIT_EXPECT_FALSE(test, ioasid_account_fits(ULONG_MAX / 2 + 1,
						     ULONG_MAX / 2 + 1,
						     ULONG_MAX));
}

static void run_extends_only_contiguous_pages(struct kunit *test)
{
	struct ioasid_pfn_run runs[] = { { .pfn = 100, .index = 0 },
					 { .pfn = 500, .index = 4 } };

	KUNIT_EXPECT_FALSE(test, ioasid_pfn_run_extends(runs, 0, 0, 100));
	/* Run 1 holds pages 4.. at pfns 500..; page 6 continues it at 502. */
	KUNIT_EXPECT_TRUE(test, ioasid_pfn_run_extends(runs, 2, 6, 502));
	KUNIT_EXPECT_FALSE(test, ioasid_pfn_run_extends(runs, 2, 6, 503));
	KUNIT_EXPECT_FALSE(test, ioasid_pfn_run_extends(runs, 2, 5, 500));
	KUNIT_EXPECT_FALSE(test, ioasid_pfn_run_extends(runs, 2, 5, 499));
	KUNIT_EXPECT_FALSE(test, ioasid_pfn_run_extends(runs, 1, 4, 500));
}

/*
 * Pins @npages of the caller's memory from @uaddr as frames.c pins a
 * map's: charged first, then a batch at a time, each batch recorded in
 * the runs before the next is pinned; on failure what the runs hold is
 * unpinned and the charge dropped.
 */
static struct ioasid_pages *test_pin(struct ioasid_ctx *ctx,
				     unsigned long uaddr, unsigned long npages,
				     bool writable)
{
	unsigned long capacity = 0, done = 0;
	struct page *batch[TEST_PIN_BATCH];
	struct ioasid_pages *pages;
	long got;
	int ret = 0;

	pages = ioasid_pages_new(ctx, npages, writable);
	if (IS_ERR(pages))
		return pages;
	while (done < npages) {
		got = ioasid_pages_pin_batch(pages, uaddr + done * PAGE_SIZE,
					     batch,
					     min_t(unsigned long, npages - done,
						   TEST_PIN_BATCH));
		if (got < 0) {
			ret = got;
			break;
		}
		ret = ioasid_pages_add_batch(pages, done, batch, got,
					     &capacity);
		if (ret) {
			unpin_user_pages(batch, got);
			break;
		}
		done += got;
	}
	if (!ret)
		return pages;
	ioasid_pages_unpin_recorded(pages, done);
	ioasid_pages_put(pages);
	return ERR_PTR(ret);
}

struct walk_seen {
	struct kunit *test;
	unsigned long next_offset;
	char marks[TEST_PAGES];
};

/* Reads the mark of every page a walk reports, through the kernel map. */
static int read_marks(void *arg, unsigned long offset, unsigned long pfn,
		      unsigned long npages)
{
	struct walk_seen *seen = arg;
	unsigned long i;

	KUNIT_EXPECT_EQ(seen->test, seen->next_offset, offset);
	for (i = 0; i < npages && offset + i < TEST_PAGES; i++) {
		char *va = kmap_local_page(pfn_to_page(pfn + i));

		seen->marks[offset + i] = *va;
		kunmap_local(va);
	}
	seen->next_offset = offset + npages;
	return 0;
}

static void pin_walks_the_pinned_pages(struct kunit *test)
{
	struct pin_test *t = test->priv;
	struct walk_seen seen = { .test = test };
	struct ioasid_pages *pages;

	pages = test_pin(t->ctx, t->uaddr, TEST_PAGES, true);
	KUNIT_ASSERT_FALSE(test, IS_ERR(pages));
	KUNIT_EXPECT_EQ(test, TEST_PAGES, pages->npages);
	KUNIT_EXPECT_GE(test, pages->nr_runs, 1);

	KUNIT_EXPECT_EQ(test, 0, ioasid_pages_walk(pages, 0, TEST_PAGES,
						   read_marks, &seen));
	KUNIT_EXPECT_EQ(test, TEST_PAGES, seen.next_offset);
	KUNIT_EXPECT_MEMEQ(test, "abcdefgh", seen.marks, TEST_PAGES);

	/* A window starts at its own offset 0, at the right page. */
	memset(&seen, 0, sizeof(seen));
	seen.test = test;
	KUNIT_EXPECT_EQ(test, 0, ioasid_pages_walk(pages, 3, 2, read_marks,
						   &seen));
	KUNIT_EXPECT_EQ(test, 2, seen.next_offset);
	KUNIT_EXPECT_MEMEQ(test, "de", seen.marks, 2);
	ioasid_pages_put(pages);
}

/* A single page, the common case of small maps, allocates no runs. */
static void pin_one_page_keeps_its_run_inline(struct kunit *test)
{
	struct pin_test *t = test->priv;
	struct walk_seen seen = { .test = test };
	struct ioasid_pages *pages;

	pages = test_pin(t->ctx, t->uaddr + 2 * PAGE_SIZE, 1, false);
	KUNIT_ASSERT_FALSE(test, IS_ERR(pages));
	KUNIT_EXPECT_EQ(test, 1, pages->nr_runs);
	KUNIT_EXPECT_PTR_EQ(test, &pages->one_run, pages->runs);

	KUNIT_EXPECT_EQ(test, 0, ioasid_pages_walk(pages, 0, 1, read_marks,
						   &seen));
	KUNIT_EXPECT_EQ(test, 1, seen.next_offset);
	KUNIT_EXPECT_EQ(test, 'c', seen.marks[0]);
	ioasid_pages_put(pages);
	KUNIT_EXPECT_EQ(test, 0, ioasid_ctx_pinned_pages(t->ctx));
}

static void pin_charges_the_user_exactly(struct kunit *test)
{
	struct pin_test *t = test->priv;
	struct user_struct *user = current_user();
	long locked = atomic_long_read(&user->locked_vm);
	s64 pinned = atomic64_read(&current->mm->pinned_vm);
	struct ioasid_pages *pages;

	pages = test_pin(t->ctx, t->uaddr, TEST_PAGES, true);
	KUNIT_ASSERT_FALSE(test, IS_ERR(pages));
	KUNIT_EXPECT_EQ(test, locked + TEST_PAGES,
			atomic_long_read(&user->locked_vm));
	KUNIT_EXPECT_EQ(test, pinned + TEST_PAGES,
			atomic64_read(&current->mm->pinned_vm));
	KUNIT_EXPECT_EQ(test, TEST_PAGES, ioasid_ctx_pinned_pages(t->ctx));

	ioasid_pages_put(pages);
	KUNIT_EXPECT_EQ(test, locked, atomic_long_read(&user->locked_vm));
	KUNIT_EXPECT_EQ(test, pinned, atomic64_read(&current->mm->pinned_vm));
	KUNIT_EXPECT_EQ(test, 0, ioasid_ctx_pinned_pages(t->ctx));
}

static void pin_charges_the_process_exactly(struct kunit *test)
{
	struct pin_test *t = test->priv;
	unsigned long locked = current->mm->locked_vm;
	struct ioasid_pages *pages;

	KUNIT_ASSERT_EQ(test, 0,
			ioasid_ctx_set_accounting(t->ctx, IOASID_ACCOUNT_PROCESS));
	pages = test_pin(t->ctx, t->uaddr, TEST_PAGES, false);
	KUNIT_ASSERT_FALSE(test, IS_ERR(pages));
	KUNIT_EXPECT_EQ(test, locked + TEST_PAGES, current->mm->locked_vm);

	ioasid_pages_put(pages);
	KUNIT_EXPECT_EQ(test, locked, current->mm->locked_vm);
}

static void pin_failure_leaves_nothing_pinned(struct kunit *test)
{
	struct pin_test *t = test->priv;
	struct user_struct *user = current_user();
	long locked = atomic_long_read(&user->locked_vm);
	struct ioasid_pages *pages;

	/* The last page goes away, so the pin fails after pinning 7. */
	KUNIT_ASSERT_EQ(test, 0, vm_munmap(t->uaddr + (TEST_PAGES - 1) *
					   PAGE_SIZE, PAGE_SIZE));
	pages = test_pin(t->ctx, t->uaddr, TEST_PAGES, true);
	KUNIT_EXPECT_EQ(test, -EFAULT, PTR_ERR_OR_ZERO(pages));
	KUNIT_EXPECT_EQ(test, locked, atomic_long_read(&user->locked_vm));
	KUNIT_EXPECT_EQ(test, 0, ioasid_ctx_pinned_pages(t->ctx));
}

/* Pins of one process in one mode share an account; a new mode, not. */
static void pins_share_one_account(struct kunit *test)
{
	struct pin_test *t = test->priv;
	struct ioasid_account *first;
	struct ioasid_pages *a, *b, *c;

	a = test_pin(t->ctx, t->uaddr, 1, false);
	KUNIT_ASSERT_FALSE(test, IS_ERR(a));
	b = test_pin(t->ctx, t->uaddr + PAGE_SIZE, 2, true);
	KUNIT_ASSERT_FALSE(test, IS_ERR(b));
	KUNIT_EXPECT_PTR_EQ(test, a->acct, b->acct);
	KUNIT_EXPECT_EQ(test, IOASID_ACCOUNT_USER, a->acct->mode);
	first = a->acct;
	ioasid_pages_put(b);

	/* The new account is made before the context lets the first go. */
	KUNIT_ASSERT_EQ(test, -EBUSY,
			ioasid_ctx_set_accounting(t->ctx, IOASID_ACCOUNT_PROCESS));
	ioasid_pages_put(a);
	KUNIT_ASSERT_EQ(test, 0,
			ioasid_ctx_set_accounting(t->ctx, IOASID_ACCOUNT_PROCESS));
	c = test_pin(t->ctx, t->uaddr, 1, false);
	KUNIT_ASSERT_FALSE(test, IS_ERR(c));
	KUNIT_EXPECT_PTR_NE(test, first, c->acct);
	KUNIT_EXPECT_EQ(test, IOASID_ACCOUNT_PROCESS, c->acct->mode);
	ioasid_pages_put(c);
	KUNIT_EXPECT_EQ(test, 0, ioasid_ctx_pinned_pages(t->ctx));
}

/*
 * A page that a mapping pins and holds itself is charged as pages are,
 * released by its own call, and moves whole into pages that adopt it.
 */
static void pin_page_alone_or_adopted(struct kunit *test)
{
	struct pin_test *t = test->priv;
	struct user_struct *user = current_user();
	long locked = atomic_long_read(&user->locked_vm);
	struct walk_seen seen = { .test = test };
	struct ioasid_account *acct;
	struct ioasid_pages *pages;
	unsigned long pfn = 0;

	acct = ioasid_pin_page(t->ctx, t->uaddr + 3 * PAGE_SIZE, true, &pfn);
	KUNIT_ASSERT_FALSE(test, IS_ERR(acct));
	KUNIT_EXPECT_EQ(test, locked + 1, atomic_long_read(&user->locked_vm));
	KUNIT_EXPECT_EQ(test, 1, ioasid_ctx_pinned_pages(t->ctx));
	ioasid_unpin_page(acct, pfn, true);
	KUNIT_EXPECT_EQ(test, locked, atomic_long_read(&user->locked_vm));
	KUNIT_EXPECT_EQ(test, 0, ioasid_ctx_pinned_pages(t->ctx));

	acct = ioasid_pin_page(t->ctx, t->uaddr + 3 * PAGE_SIZE, false, &pfn);
	KUNIT_ASSERT_FALSE(test, IS_ERR(acct));
	pages = ioasid_pages_adopt(acct, pfn, false);
	KUNIT_ASSERT_NOT_NULL(test, pages);
	KUNIT_EXPECT_EQ(test, 1, pages->npages);
	KUNIT_EXPECT_EQ(test, 0, ioasid_pages_walk(pages, 0, 1, read_marks,
						   &seen));
	KUNIT_EXPECT_EQ(test, 'd', seen.marks[0]);
	ioasid_pages_put(pages);
	KUNIT_EXPECT_EQ(test, locked, atomic_long_read(&user->locked_vm));
	KUNIT_EXPECT_EQ(test, 0, ioasid_ctx_pinned_pages(t->ctx));

	/* Memory that is not there: -EFAULT, and nothing stays charged. */
	KUNIT_ASSERT_EQ(test, 0, vm_munmap(t->uaddr, PAGE_SIZE));
	acct = ioasid_pin_page(t->ctx, t->uaddr, false, &pfn);
	KUNIT_EXPECT_EQ(test, -EFAULT, PTR_ERR_OR_ZERO(acct));
	KUNIT_EXPECT_EQ(test, locked, atomic_long_read(&user->locked_vm));
	KUNIT_EXPECT_EQ(test, 0, ioasid_ctx_pinned_pages(t->ctx));
}

static struct kunit_case pin_cases[] = {
	KUNIT_CASE(account_fits_within_limit),
	KUNIT_CASE(account_fits_rejects_overflow),
	KUNIT_CASE(run_extends_only_contiguous_pages),
	KUNIT_CASE(pin_walks_the_pinned_pages),
	KUNIT_CASE(pin_one_page_keeps_its_run_inline),
	KUNIT_CASE(pin_charges_the_user_exactly),
	KUNIT_CASE(pin_charges_the_process_exactly),
	KUNIT_CASE(pin_failure_leaves_nothing_pinned),
	KUNIT_CASE(pins_share_one_account),
	KUNIT_CASE(pin_page_alone_or_adopted),
	{}
};

static struct kunit_suite pin_suite = {
	.name = "ioasid-pin",
	.init = pin_test_init,
	.exit = pin_test_exit,
	.test_cases = pin_cases,
};

kunit_test_suite(pin_suite);

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
MODULE_DESCRIPTION("KUnit tests of /dev/ioasid pinning and accounting");
MODULE_LICENSE("GPL");
