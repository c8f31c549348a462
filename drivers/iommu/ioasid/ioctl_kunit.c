// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of the /dev/ioasid ioctl dispatcher.
 *
 * The calls go through real user memory (kunit_vm_mmap), so the size,
 * tail and fault rules are tested exactly as userspace meets them.  A test
 * command with two versions of its struct covers the old-caller path,
 * which the published commands cannot exercise until one of them grows.
 */
#include <kunit/test.h>
#include <linux/mman.h>
#include <linux/uaccess.h>

#include "ioasid_private.h"

#define TEST_CMD_NR 3
#define TEST_CMD _IO(IOASID_TYPE, TEST_CMD_NR)
#define TEST_MAGIC 0x10a51d

/* Version 1 ended at @out; version 2 added @in2 and @out2. */
struct test_cmd {
	u32 size;
	u32 flags;
	u64 in;
	u64 out;
	u32 in2;
	u32 out2;
};

struct test_seen {
	unsigned int calls;
	u32 user_size;
	u32 in2;
};

static struct test_seen seen;

static int test_cmd_execute(struct ioasid_ucmd *ucmd)
{
	struct test_cmd *cmd = ucmd->cmd;

	seen.calls++;
	seen.user_size = ucmd->user_size;
	seen.in2 = cmd->in2;
	if (cmd->flags)
		return -EOPNOTSUPP;
	cmd->out = cmd->in + 1;
	cmd->out2 = TEST_MAGIC;
	return ioasid_ucmd_respond(ucmd, sizeof(*cmd));
}

static const struct ioasid_ioctl_op test_ops[] = {
	IOASID_IOCTL_OP(TEST_CMD_NR, test_cmd_execute, struct test_cmd, out),
};

struct dispatch_test {
	struct ioasid_ctx *ctx;
	void __user *ubuf;	/* two pages, the second one unmapped */
};

static int dispatch_test_init(struct kunit *test)
{
	struct dispatch_test *t;
	unsigned long addr;

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	addr = kunit_vm_mmap(test, NULL, 0, 2 * PAGE_SIZE,
			     PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE,
			     0);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR_VALUE(addr) || !addr,
			       "no user memory: %ld", (long)addr);
	KUNIT_ASSERT_EQ(test, 0, vm_munmap(addr + PAGE_SIZE, PAGE_SIZE));
	t->ubuf = (void __user *)addr;
	t->ctx = ioasid_ctx_alloc();
	KUNIT_ASSERT_NOT_NULL(test, t->ctx);
	memset(&seen, 0, sizeof(seen));
	test->priv = t;
	return 0;
}

static void dispatch_test_exit(struct kunit *test)
{
	struct dispatch_test *t = test->priv;

	if (t && t->ctx)
		ioasid_ctx_free(t->ctx);
}

static long call_test_cmd(struct kunit *test, unsigned int cmd,
			  void __user *arg)
{
	struct dispatch_test *t = test->priv;

	return ioasid_ioctl_dispatch(test_ops, ARRAY_SIZE(test_ops), t->ctx,
				     cmd, arg);
}

/* Copies @len bytes of @buf to the start of the user buffer and calls. */
static long call_with(struct kunit *test, const void *buf, size_t len)
{
	struct dispatch_test *t = test->priv;

	KUNIT_ASSERT_EQ(test, 0, copy_to_user(t->ubuf, buf, len));
	return call_test_cmd(test, TEST_CMD, t->ubuf);
}

static void read_back(struct kunit *test, void *buf, size_t len)
{
	struct dispatch_test *t = test->priv;

	KUNIT_ASSERT_EQ(test, 0, copy_from_user(buf, t->ubuf, len));
}

static void dispatch_exact_size(struct kunit *test)
{
	struct test_cmd cmd = { .size = sizeof(cmd), .in = 41, .in2 = 7 };

	KUNIT_EXPECT_EQ(test, 0, call_with(test, &cmd, sizeof(cmd)));
	read_back(test, &cmd, sizeof(cmd));
	KUNIT_EXPECT_EQ(test, 42, cmd.out);
	KUNIT_EXPECT_EQ(test, TEST_MAGIC, cmd.out2);
	KUNIT_EXPECT_EQ(test, 7, seen.in2);
	KUNIT_EXPECT_EQ(test, sizeof(cmd), seen.user_size);
}

static void dispatch_below_first_version(struct kunit *test)
{
	size_t min = offsetofend(struct test_cmd, out);
	struct test_cmd cmd = {};
	u32 size;

	for (size = 0; size < min; size++) {
		cmd.size = size;
		KUNIT_EXPECT_EQ_MSG(test, -EINVAL,
				    call_with(test, &cmd, sizeof(cmd)),
				    "size %u", size);
	}
	KUNIT_EXPECT_EQ(test, 0, seen.calls);
}

/* A version 1 caller: new fields read as zero, nothing written past it. */
static void dispatch_old_caller(struct kunit *test)
{
	size_t v1 = offsetofend(struct test_cmd, out);
	u8 image[sizeof(struct test_cmd)];
	struct test_cmd cmd = { .size = v1, .in = 1 };
	size_t i;

	memset(image, 0xee, sizeof(image));
	memcpy(image, &cmd, v1);
	KUNIT_EXPECT_EQ(test, 0, call_with(test, image, sizeof(image)));
	KUNIT_EXPECT_EQ(test, 0, seen.in2);
	KUNIT_EXPECT_EQ(test, v1, seen.user_size);
	read_back(test, image, sizeof(image));
	memcpy(&cmd, image, v1);
	KUNIT_EXPECT_EQ(test, 2, cmd.out);
	for (i = v1; i < sizeof(image); i++)
		KUNIT_EXPECT_EQ_MSG(test, 0xee, image[i], "byte %zu", i);
}

/* A caller from the future: a zero tail is accepted and left alone. */
static void dispatch_newer_caller_zero_tail(struct kunit *test)
{
	u8 image[sizeof(struct test_cmd) + 16] = {};
	struct test_cmd cmd = { .size = sizeof(image), .in = 9 };

	memcpy(image, &cmd, sizeof(cmd));
	KUNIT_EXPECT_EQ(test, 0, call_with(test, image, sizeof(image)));
	read_back(test, image, sizeof(image));
	memcpy(&cmd, image, sizeof(cmd));
	KUNIT_EXPECT_EQ(test, 10, cmd.out);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(image + sizeof(cmd), 0, 16));
}

static void dispatch_newer_caller_nonzero_tail(struct kunit *test)
{
	u8 image[sizeof(struct test_cmd) + 16];
	struct test_cmd cmd = { .size = sizeof(image) };
	size_t i;

	for (i = sizeof(cmd); i < sizeof(image); i++) {
		memset(image, 0, sizeof(image));
		memcpy(image, &cmd, sizeof(cmd));
		image[i] = 1;
		KUNIT_EXPECT_EQ_MSG(test, -E2BIG,
				    call_with(test, image, sizeof(image)),
				    "byte %zu", i);
	}
	KUNIT_EXPECT_EQ(test, 0, seen.calls);
}

static void dispatch_size_limit(struct kunit *test)
{
	struct test_cmd cmd = { .size = PAGE_SIZE + 1 };

	KUNIT_EXPECT_EQ(test, -E2BIG, call_with(test, &cmd, sizeof(cmd)));
	cmd.size = U32_MAX;
	KUNIT_EXPECT_EQ(test, -E2BIG, call_with(test, &cmd, sizeof(cmd)));
	KUNIT_EXPECT_EQ(test, 0, seen.calls);
}

static void dispatch_unknown_numbers(struct kunit *test)
{
	struct dispatch_test *t = test->priv;
	struct test_cmd cmd = { .size = sizeof(cmd) };
	unsigned int nr;

	KUNIT_ASSERT_EQ(test, 0, copy_to_user(t->ubuf, &cmd, sizeof(cmd)));
	for (nr = 0; nr < 256; nr++) {
		if (nr == TEST_CMD_NR)
			continue;
		KUNIT_EXPECT_EQ_MSG(test, -ENOTTY,
				    call_test_cmd(test, _IO(IOASID_TYPE, nr),
						  t->ubuf),
				    "nr %u", nr);
	}
	KUNIT_EXPECT_EQ(test, -ENOTTY,
			call_test_cmd(test, _IO(IOASID_TYPE + 1, TEST_CMD_NR),
				      t->ubuf));
	KUNIT_EXPECT_EQ(test, -ENOTTY,
			call_test_cmd(test, _IOW(IOASID_TYPE, TEST_CMD_NR, u32),
				      t->ubuf));
	KUNIT_EXPECT_EQ(test, 0, seen.calls);
}

static void dispatch_faults(struct kunit *test)
{
	struct dispatch_test *t = test->priv;
	struct test_cmd cmd = { .size = sizeof(cmd) };
	void __user *edge;

	KUNIT_EXPECT_EQ(test, -EFAULT, call_test_cmd(test, TEST_CMD, NULL));

	/* @size is readable, the rest of the struct is in the hole. */
	edge = t->ubuf + PAGE_SIZE - sizeof(u32);
	KUNIT_ASSERT_EQ(test, 0, copy_to_user(edge, &cmd, sizeof(u32)));
	KUNIT_EXPECT_EQ(test, -EFAULT, call_test_cmd(test, TEST_CMD, edge));
	KUNIT_EXPECT_EQ(test, 0, seen.calls);
}

static void dispatch_handler_errors_pass_through(struct kunit *test)
{
	struct test_cmd cmd = { .size = sizeof(cmd), .flags = 1 };

	KUNIT_EXPECT_EQ(test, -EOPNOTSUPP, call_with(test, &cmd, sizeof(cmd)));
	KUNIT_EXPECT_EQ(test, 1, seen.calls);
	read_back(test, &cmd, sizeof(cmd));
	KUNIT_EXPECT_EQ(test, 0, cmd.out);
}

/* The published command table, through the same entry point as the fd. */
static void get_info_reports_table(struct kunit *test)
{
	struct dispatch_test *t = test->priv;
	struct ioasid_info info = { .size = sizeof(info) };
	unsigned int nr;

	KUNIT_ASSERT_EQ(test, 0, copy_to_user(t->ubuf, &info, sizeof(info)));
	KUNIT_ASSERT_EQ(test, 0, ioasid_ioctl(t->ctx, IOASID_GET_INFO, t->ubuf));
	read_back(test, &info, sizeof(info));
	KUNIT_EXPECT_EQ(test, IOASID_API_VERSION, info.api_version);
	KUNIT_EXPECT_EQ(test, 0, info.features);

	for (nr = 0; nr < 64; nr++) {
		u32 zero = 0;
		long ret;

		KUNIT_ASSERT_EQ(test, 0, copy_to_user(t->ubuf, &zero, sizeof(zero)));
		ret = ioasid_ioctl(t->ctx, _IO(IOASID_TYPE, nr), t->ubuf);
		KUNIT_EXPECT_EQ_MSG(test, ret,
				    info.ioctls & BIT_ULL(nr) ? -EINVAL : -ENOTTY,
				    "nr %u", nr);
	}
}

static struct kunit_case dispatch_cases[] = {
	KUNIT_CASE(dispatch_exact_size),
	KUNIT_CASE(dispatch_below_first_version),
	KUNIT_CASE(dispatch_old_caller),
	KUNIT_CASE(dispatch_newer_caller_zero_tail),
	KUNIT_CASE(dispatch_newer_caller_nonzero_tail),
	KUNIT_CASE(dispatch_size_limit),
	KUNIT_CASE(dispatch_unknown_numbers),
	KUNIT_CASE(dispatch_faults),
	KUNIT_CASE(dispatch_handler_errors_pass_through),
	KUNIT_CASE(get_info_reports_table),
	{}
};

static struct kunit_suite dispatch_suite = {
	.name = "ioasid-ioctl",
	.init = dispatch_test_init,
	.exit = dispatch_test_exit,
	.test_cases = dispatch_cases,
};

kunit_test_suite(dispatch_suite);

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
MODULE_DESCRIPTION("KUnit tests of the /dev/ioasid ioctl dispatcher");
MODULE_LICENSE("GPL");
