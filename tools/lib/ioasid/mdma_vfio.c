// SPDX-License-Identifier: GPL-2.0-only
/*
 * The helpers of mdma_vfio.h: the mdma sample's mediated devices through
 * sysfs and their VFIO cdevs.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "mdma_vfio.h"

/* How long a new child's cdev may take to show in sysfs. */
#define CDEV_WAIT_MS	1000
#define CDEV_POLL_US	10000

static int type_match(const char *parent, const char *type)
{
	return mdma_has_type(parent, type);
}

bool mdma_has_type(const char *parent, const char *type)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), MDEV_BUS "/%s/mdev_supported_types/%s",
		 parent, type);
	return !access(path, F_OK);
}

int mdma_find_parent(char *parent, size_t len)
{
	char *found = find_entry(MDEV_BUS, type_match, MDMA_SIOV);
	int ret = found ? 0 : ENODEV;

	if (found)
		snprintf(parent, len, "%s", found);
	free(found);
	return ret;
}

/* The first line of @path, without its newline. */
static int read_line(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	buf[0] = 0;
	if (fd < 0)
		return errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? errno : EIO;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

int mdma_create(const char *parent, const char *type, char *uuid,
		size_t len)
{
	char path[PATH_MAX], id[64];
	int ret;

	uuid[0] = 0;
	ret = read_line("/proc/sys/kernel/random/uuid", id, sizeof(id));
	if (ret)
		return ret;
	snprintf(path, sizeof(path),
		 MDEV_BUS "/%s/mdev_supported_types/%s/create", parent, type);
	ret = write_attr(path, id);
	if (!ret)
		snprintf(uuid, len, "%s", id);
	return ret;
}

int mdma_remove(const char *uuid)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), MDEV_DEVICES "/%s/remove", uuid);
	return write_attr(path, "1");
}

bool mdma_exists(const char *uuid)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), MDEV_DEVICES "/%s", uuid);
	return !access(path, F_OK);
}

int mdma_cdev(const char *uuid, char *cdev, size_t len)
{
	char path[PATH_MAX];
	uint64_t end = now_ms() + CDEV_WAIT_MS;
	char *name;

	snprintf(path, sizeof(path), MDEV_DEVICES "/%s/vfio-dev", uuid);
	while (!(name = find_entry(path, has_prefix, "vfio")) &&
	       mdma_exists(uuid) && now_ms() < end)
		usleep(CDEV_POLL_US);
	if (!name)
		return mdma_exists(uuid) ? ETIMEDOUT : ENODEV;
	snprintf(cdev, len, "/dev/vfio/devices/%s", name);
	free(name);
	return 0;
}

int mdma_init(struct mdma *m, int dev_fd)
{
	struct vfio_region_info info;
	int ret;

	m->fd = dev_fd;
	m->base = 0;
	ret = region_info(dev_fd, 0, &info);
	if (!ret)
		m->base = info.offset;
	return ret;
}

int mdma_read(const struct mdma *m, uint64_t reg, uint64_t *val)
{
	return region_read(m->fd, m->base + reg, val, sizeof(*val));
}

int mdma_write(const struct mdma *m, uint64_t reg, uint64_t val)
{
	return region_write(m->fd, m->base + reg, &val, sizeof(val));
}

uint64_t mdma_reg(const struct mdma *m, uint64_t reg)
{
	uint64_t val;

	return mdma_read(m, reg, &val) ? UINT64_MAX : val;
}

int mdma_cmd(const struct mdma *m, uint64_t cmd)
{
	uint64_t status;
	int ret;

	ret = mdma_write(m, MDMA_REG_CMD, cmd);
	if (!ret)
		ret = mdma_read(m, MDMA_REG_STATUS, &status);
	if (ret)
		return -ret;
	/* Not an errno: shown as such rather than folded into one. */
	return status <= INT_MAX ? (int)status : INT_MIN;
}

int mdma_copy(const struct mdma *m, uint64_t src, uint64_t dst,
	      uint64_t len)
{
	int ret;

	ret = mdma_write(m, MDMA_REG_SRC, src);
	if (!ret)
		ret = mdma_write(m, MDMA_REG_DST, dst);
	if (!ret)
		ret = mdma_write(m, MDMA_REG_LEN, len);
	return ret ? -ret : mdma_cmd(m, MDMA_CMD_START);
}
