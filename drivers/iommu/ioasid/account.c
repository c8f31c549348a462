// SPDX-License-Identifier: GPL-2.0-only
/*
 * Accounting of pinned pages, all of it: charging them against
 * RLIMIT_MEMLOCK, to the user or to the process, and releasing exactly
 * what was charged; and the state of each context that decides whom its
 * pins are charged to, which IOASID_OPTION reads and sets.
 *
 * A context counts the pages pinned through it, from before they are
 * charged until after they are released, and refuses to change its mode
 * while the count is not zero: every page is then released to the account
 * it was charged to.  The context's lock is a leaf.
 *
 * An account holds the user and the mm that pins are charged to.  The
 * pins one process makes through a context in one mode share an account,
 * which the context keeps as its last: a pin takes a reference on it
 * instead of one on the user and one on the mm, and ranges of pinned
 * pages need not carry the three.
 */
#include <kunit/visibility.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "ioasid_private.h"

/**
 * ioasid_account_fits() - whether a charge stays within a limit
 * @used: pages charged already
 * @npages: pages to add
 * @limit: the most pages that may be charged
 *
 * Return: true when @used + @npages neither overflows nor exceeds @limit.
 */
bool ioasid_account_fits(unsigned long used, unsigned long npages,
			 unsigned long limit)
{
	unsigned long total;

	return !check_add_overflow(used, npages, &total) && total <= limit;
}
EXPORT_SYMBOL_IF_KUNIT(ioasid_account_fits);

static unsigned long ioasid_account_memlock_limit(void)
{
	if (capable(CAP_IPC_LOCK))
		return ULONG_MAX;
	return rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
}

static int ioasid_account_charge_user(struct user_struct *user,
				      unsigned long npages)
{
	unsigned long limit = ioasid_account_memlock_limit();
	long used = atomic_long_read(&user->locked_vm);

	do {
		if (!ioasid_account_fits(used, npages, limit))
			return -ENOMEM;
	} while (!atomic_long_try_cmpxchg(&user->locked_vm, &used,
					  used + npages));
	return 0;
}

static int ioasid_account_charge_process(struct mm_struct *mm,
					 unsigned long npages)
{
	int ret;

	mmap_write_lock(mm);
	ret = __account_locked_vm(mm, npages, true, current,
				  capable(CAP_IPC_LOCK));
	mmap_write_unlock(mm);
	return ret;
}

/*
 * A new account for the calling process, holding its user and its mm so
 * that pages can be released from any context, after the caller exited
 * or passed its fd on.  The caller sets the mode.
 */
static struct ioasid_account *account_new(struct ioasid_ctx *ctx)
{
	struct ioasid_account *acct;

	acct = kmalloc(sizeof(*acct), GFP_KERNEL_ACCOUNT);
	if (!acct)
		return NULL;
	refcount_set(&acct->refs, 1);
	acct->ctx = ctx;
	acct->user = get_current_user();
	mmgrab(current->mm);
	acct->mm = current->mm;
	return acct;
}

static void account_put(struct ioasid_account *acct)
{
	if (!acct || !refcount_dec_and_test(&acct->refs))
		return;
	mmdrop(acct->mm);
	free_uid(acct->user);
	kfree(acct);
}

/* Whether the calling process's pins in @mode may be charged to @acct. */
static bool account_is_callers(const struct ioasid_account *acct,
			       enum ioasid_accounting mode)
{
	return acct && acct->mode == mode && acct->mm == current->mm &&
	       acct->user == current_user();
}

/**
 * ioasid_account_charge() - charge pinned pages
 * @acct: the account
 * @npages: pages about to be pinned
 *
 * Return: 0, or -ENOMEM when the charge would exceed RLIMIT_MEMLOCK and
 * the caller lacks CAP_IPC_LOCK; then nothing is charged.
 */
int ioasid_account_charge(struct ioasid_account *acct, unsigned long npages)
{
	int ret;

	if (acct->mode == IOASID_ACCOUNT_PROCESS)
		return ioasid_account_charge_process(acct->mm, npages);

	ret = ioasid_account_charge_user(acct->user, npages);
	if (!ret)
		atomic64_add(npages, &acct->mm->pinned_vm);
	return ret;
}

/**
 * ioasid_account_uncharge() - release a charge of ioasid_account_charge()
 * @acct: the account
 * @npages: pages unpinned
 */
void ioasid_account_uncharge(struct ioasid_account *acct,
			     unsigned long npages)
{
	if (acct->mode == IOASID_ACCOUNT_PROCESS) {
		mmap_write_lock(acct->mm);
		__account_locked_vm(acct->mm, npages, false, current, true);
		mmap_write_unlock(acct->mm);
		return;
	}
	atomic_long_sub(npages, &acct->user->locked_vm);
	atomic64_sub(npages, &acct->mm->pinned_vm);
}

/**
 * ioasid_ctx_account_init() - set up the accounting state of a new context
 * @ctx: the context
 *
 * Its pins are charged to the user until IOASID_OPTION says otherwise.
 */
void ioasid_ctx_account_init(struct ioasid_ctx *ctx)
{
	spin_lock_init(&ctx->account.lock);
	ctx->account.mode = IOASID_ACCOUNT_USER;
	ctx->account.pinned_pages = 0;
	ctx->account.last = NULL;
}

/**
 * ioasid_ctx_account_destroy() - drop what a context's accounting holds
 * @ctx: a context that pins nothing any more
 */
void ioasid_ctx_account_destroy(struct ioasid_ctx *ctx)
{
	account_put(ctx->account.last);
	ctx->account.last = NULL;
}

/**
 * ioasid_ctx_pin_begin() - count pages about to be pinned, and find whom
 *                          to charge them to
 * @ctx: the context
 * @npages: how many
 *
 * The count keeps the accounting mode from changing while anything is
 * pinned, so every page is released to the account it was charged to.
 * The account is the context's last one when the caller is the process
 * and user that made it, else a new one that becomes the last.
 *
 * Return: the account, with a reference for the caller, or
 * ERR_PTR(-ENOMEM); then nothing is counted.
 */
struct ioasid_account *ioasid_ctx_pin_begin(struct ioasid_ctx *ctx,
					    unsigned long npages)
{
	struct ioasid_ctx_account *ca = &ctx->account;
	struct ioasid_account *acct, *fresh = NULL, *old = NULL;

	spin_lock(&ca->lock);
	if (!account_is_callers(ca->last, ca->mode)) {
		spin_unlock(&ca->lock);
		fresh = account_new(ctx);
		if (!fresh)
			return ERR_PTR(-ENOMEM);
		spin_lock(&ca->lock);
		/* Unless another pin of the caller's made one meanwhile. */
		if (!account_is_callers(ca->last, ca->mode)) {
			fresh->mode = ca->mode;
			old = ca->last;
			ca->last = fresh;
			fresh = NULL;
		}
	}
	acct = ca->last;
	refcount_inc(&acct->refs);
	ca->pinned_pages += npages;
	spin_unlock(&ca->lock);
	account_put(old);
	account_put(fresh);
	return acct;
}

/**
 * ioasid_ctx_pin_end() - note that pages were unpinned
 * @acct: the account ioasid_ctx_pin_begin() gave for them, whose
 *        reference this drops
 * @npages: as many as that call counted
 */
void ioasid_ctx_pin_end(struct ioasid_account *acct, unsigned long npages)
{
	struct ioasid_ctx *ctx = acct->ctx;

	spin_lock(&ctx->account.lock);
	ctx->account.pinned_pages -= npages;
	spin_unlock(&ctx->account.lock);
	account_put(acct);
}

/**
 * ioasid_ctx_pinned_pages() - how many pages a context pins
 * @ctx: the context
 *
 * Return: the pages counted by ioasid_ctx_pin_begin() and not yet by
 * ioasid_ctx_pin_end(), a snapshot.
 */
unsigned long ioasid_ctx_pinned_pages(struct ioasid_ctx *ctx)
{
	unsigned long npages;

	spin_lock(&ctx->account.lock);
	npages = ctx->account.pinned_pages;
	spin_unlock(&ctx->account.lock);
	return npages;
}
EXPORT_SYMBOL_IF_KUNIT(ioasid_ctx_pinned_pages);

/**
 * ioasid_ctx_accounting() - whom a context charges its pins to
 * @ctx: the context
 *
 * Return: the mode pages pinned from now on are charged in.
 */
enum ioasid_accounting ioasid_ctx_accounting(struct ioasid_ctx *ctx)
{
	enum ioasid_accounting mode;

	spin_lock(&ctx->account.lock);
	mode = ctx->account.mode;
	spin_unlock(&ctx->account.lock);
	return mode;
}

/**
 * ioasid_ctx_set_accounting() - choose whom a context charges its pins to
 * @ctx: the context
 * @mode: an enum ioasid_accounting, as userspace passed it
 *
 * Return: 0; -EINVAL for an unknown @mode; -EBUSY when the context pins
 * pages and @mode is not its mode already, as they were charged in that
 * one.
 */
int ioasid_ctx_set_accounting(struct ioasid_ctx *ctx, u64 mode)
{
	int ret = 0;

	if (mode != IOASID_ACCOUNT_USER && mode != IOASID_ACCOUNT_PROCESS)
		return -EINVAL;

	spin_lock(&ctx->account.lock);
	if (ctx->account.pinned_pages && ctx->account.mode != mode)
		ret = -EBUSY;
	else
		ctx->account.mode = mode;
	spin_unlock(&ctx->account.lock);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(ioasid_ctx_set_accounting);
