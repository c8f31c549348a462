// SPDX-License-Identifier: GPL-2.0-only
/*
 * The helpers of edu_vfio.h: QEMU's edu device through VFIO and
 * /dev/ioasid.
 */
/* syscall(), getrandom() and the like, before any system header */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <linux/ioasid.h>

#include "edu_vfio.h"

enum target read_target(void)
{
	static const struct {
		const char *name;
		enum target target;
	} target_names[] = {
		{ "vtd", TARGET_VTD },
		{ "dmar", TARGET_VTD },
		{ "virtio", TARGET_VIRTIO },
		{ "virtio_iommu", TARGET_VIRTIO },
		{ "smmuv3", TARGET_SMMUV3 },
		{ "smmu3", TARGET_SMMUV3 },
	};
	const char *name = NULL;
	char line[4096], *tok, *save;
	FILE *f = fopen("/proc/cmdline", "r");
	size_t i;

	if (f) {
		if (fgets(line, sizeof(line), f))
			for (tok = strtok_r(line, " \t\n", &save); tok;
			     tok = strtok_r(NULL, " \t\n", &save))
				if (!strncmp(tok, "ioasid_iommu=", 13))
					name = tok + 13;
		fclose(f);
	}
	/* The kernel hands the parameter to init as an environment variable. */
	if (!name)
		name = getenv("ioasid_iommu");
	for (i = 0; name && i < sizeof(target_names) / sizeof(*target_names);
	     i++)
		if (!strcmp(name, target_names[i].name))
			return target_names[i].target;
	return TARGET_OTHER;
}

int read_id(const char *dev, const char *attr, char *buf, size_t len)
{
	char path[PATH_MAX];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/%s", dev, attr);
	f = fopen(path, "r");
	if (!f)
		return 0;
	ok = !!fgets(buf, len, f);
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return ok;
}

char *find_entry(const char *dir,
		 int (*match)(const char *name, const char *arg),
		 const char *arg)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char *found = NULL;

	if (!d)
		return NULL;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' &&
		    (!found || strcmp(e->d_name, found) < 0) &&
		    match(e->d_name, arg)) {
			free(found);
			found = strdup(e->d_name);
		}
	closedir(d);
	return found;
}

int pci_id_is(const char *dev, const char *want)
{
	char vendor[16], device[16], id[40];

	if (!read_id(dev, "vendor", vendor, sizeof(vendor)) ||
	    !read_id(dev, "device", device, sizeof(device)))
		return 0;
	snprintf(id, sizeof(id), "%s %s", vendor, device);
	return !strcmp(id, want);
}

int pci_find_id(const char *id, char names[][32], int max)
{
	struct dirent **list;
	int n, i, found = 0;

	n = scandir(PCI_DEVICES, &list, NULL, alphasort);
	if (n < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (found < max && list[i]->d_name[0] != '.' &&
		    pci_id_is(list[i]->d_name, id))
			snprintf(names[found++], 32, "%.31s", list[i]->d_name);
		free(list[i]);
	}
	free(list);
	return found;
}

int has_prefix(const char *name, const char *prefix)
{
	return !strncmp(name, prefix, strlen(prefix));
}

int write_attr(const char *path, const char *value)
{
	ssize_t len = strlen(value), n;
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return errno;
	n = write(fd, value, len);
	if (n != len)
		ret = n < 0 ? errno : EIO;
	close(fd);
	return ret;
}

int bind_vfio_pci(const char *dev)
{
	char path[PATH_MAX];
	int ret;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver_override", dev);
	ret = write_attr(path, "vfio-pci");
	return ret ? ret : write_attr("/sys/bus/pci/drivers_probe", dev);
}

int unbind_vfio_pci(const char *dev)
{
	char path[PATH_MAX];
	int ret;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver/unbind", dev);
	ret = write_attr(path, dev);
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver_override", dev);
	return ret ? ret : write_attr(path, "\n");
}

const char *link_base(const char *path, char *buf, size_t len)
{
	ssize_t n = readlink(path, buf, len - 1);

	if (n < 0)
		return NULL;
	buf[n] = 0;
	return strrchr(buf, '/') ? strrchr(buf, '/') + 1 : buf;
}

const char *link_name(const char *dev, const char *link, char *buf, size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/%s", dev, link);
	return link_base(path, buf, len);
}

int vfio_group_path(const char *dev, char *path, size_t len)
{
	char link[PATH_MAX];
	const char *group = link_name(dev, "iommu_group", link, sizeof(link));

	if (!group)
		return ENOENT;
	snprintf(path, len, "/dev/vfio/%s", group);
	return 0;
}

int edu_find(char *dev, size_t len)
{
	char *found = find_entry(PCI_DEVICES, pci_id_is, EDU_ID);
	int ret = found ? 0 : ENODEV;

	if (found)
		snprintf(dev, len, "%s", found);
	free(found);
	return ret;
}

int edu_bind_vfio(const char *dev, bool *bound, char *cdev, size_t len)
{
	char link[PATH_MAX], path[PATH_MAX];
	const char *driver;
	char *name;
	int ret;

	*bound = false;
	if (!link_name(dev, "driver", link, sizeof(link))) {
		ret = bind_vfio_pci(dev);
		if (ret)
			return ret;
		*bound = true;
	}
	driver = link_name(dev, "driver", link, sizeof(link));
	if (!driver || strcmp(driver, "vfio-pci"))
		return driver ? EBUSY : ENXIO;
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/vfio-dev", dev);
	name = find_entry(path, has_prefix, "vfio");
	ret = name ? 0 : ENOENT;
	if (name)
		snprintf(cdev, len, "/dev/vfio/devices/%s", name);
	free(name);
	return ret;
}

int read_unsafe(char *value)
{
	char buf[8] = "";
	int fd = open(UNSAFE_PARAM, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	int ret;

	*value = 0;
	if (fd < 0)
		return errno;
	n = read(fd, buf, sizeof(buf) - 1);
	ret = n < 0 ? errno : n == 0 ? EIO : 0;
	close(fd);
	if (!ret)
		*value = buf[0];
	return ret;
}

int write_unsafe(const char *value)
{
	return write_attr(UNSAFE_PARAM, value);
}

bool container_is_ioasid(void)
{
	struct ioasid_info info = { .size = sizeof(info) };
	int fd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	bool ours;

	if (fd < 0)
		return false;
	ours = !ioctl(fd, IOASID_GET_INFO, &info);
	close(fd);
	return ours;
}

int write_container_unsafe(const char *value)
{
	int ret = 0;

	if (!access(UNSAFE_PARAM, F_OK))
		ret = write_unsafe(value);
	if (!ret && !access(TYPE1_UNSAFE_PARAM, F_OK))
		ret = write_attr(TYPE1_UNSAFE_PARAM, value);
	return ret;
}

int vfio_bind_flags(int dev_fd, int ioasid_fd, uint32_t flags)
{
	struct vfio_device_bind_ioasid cmd = {
		.argsz = sizeof(cmd),
		.flags = flags,
		.ioasid_fd = ioasid_fd,
	};

	return ioctl(dev_fd, VFIO_DEVICE_BIND_IOASID, &cmd) ? errno : 0;
}

int vfio_bind(int dev_fd, int ioasid_fd)
{
	return vfio_bind_flags(dev_fd, ioasid_fd, 0);
}

int vfio_attach_flags(int dev_fd, uint32_t id, uint32_t flags)
{
	struct vfio_device_attach_ioasid cmd = {
		.argsz = sizeof(cmd),
		.flags = flags,
		.ioasid = id,
	};

	return ioctl(dev_fd, VFIO_DEVICE_ATTACH_IOASID, &cmd) ? errno : 0;
}

int vfio_attach(int dev_fd, uint32_t id)
{
	return vfio_attach_flags(dev_fd, id, 0);
}

int vfio_detach(int dev_fd)
{
	struct vfio_device_detach_ioasid cmd = { .argsz = sizeof(cmd) };

	return ioctl(dev_fd, VFIO_DEVICE_DETACH_IOASID, &cmd) ? errno : 0;
}

int region_info(int dev_fd, uint32_t index, struct vfio_region_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->index = index;
	return ioctl(dev_fd, VFIO_DEVICE_GET_REGION_INFO, info) ? errno : 0;
}

int region_read(int fd, uint64_t offset, void *val, size_t len)
{
	ssize_t n = pread(fd, val, len, offset);

	if (n == (ssize_t)len)
		return 0;
	return n < 0 ? errno : EIO;
}

int region_write(int fd, uint64_t offset, const void *val, size_t len)
{
	ssize_t n = pwrite(fd, val, len, offset);

	if (n == (ssize_t)len)
		return 0;
	return n < 0 ? errno : EIO;
}

int edu_open(struct edu *edu, int dev_fd)
{
	const uint16_t want = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	struct vfio_region_info info;
	uint16_t cmd;
	int ret;

	edu->fd = dev_fd;
	edu->bar = NULL;
	ret = region_info(dev_fd, VFIO_PCI_CONFIG_REGION_INDEX, &info);
	if (ret)
		return ret;
	edu->config = info.offset;
	ret = region_info(dev_fd, VFIO_PCI_BAR0_REGION_INDEX, &info);
	if (ret)
		return ret;
	edu->bar0 = info.offset;

	ret = region_read(dev_fd, edu->config + PCI_COMMAND, &cmd, sizeof(cmd));
	if (ret)
		return ret;
	cmd |= want;
	ret = region_write(dev_fd, edu->config + PCI_COMMAND, &cmd,
			   sizeof(cmd));
	if (!ret)
		ret = region_read(dev_fd, edu->config + PCI_COMMAND, &cmd,
				  sizeof(cmd));
	if (!ret && (cmd & want) != want)
		ret = EIO;
	return ret;
}

int edu_read(const struct edu *edu, uint64_t reg, void *val, size_t len)
{
	uint64_t v;

	if (!edu->bar)
		return region_read(edu->fd, edu->bar0 + reg, val, len);
	v = __atomic_load_n(&edu->bar[reg / sizeof(v)], __ATOMIC_SEQ_CST);
	memcpy(val, &v, len < sizeof(v) ? len : sizeof(v));
	return 0;
}

int edu_write(const struct edu *edu, uint64_t reg, uint64_t val)
{
	if (!edu->bar)
		return region_write(edu->fd, edu->bar0 + reg, &val,
				    sizeof(val));
	__atomic_store_n(&edu->bar[reg / sizeof(val)], val, __ATOMIC_SEQ_CST);
	return 0;
}

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

int edu_wait(const struct edu *edu)
{
	uint64_t start = now_ms(), cmd;
	int ret;

	for (;;) {
		ret = edu_read(edu, EDU_DMA_CMD, &cmd, sizeof(cmd));
		if (ret || !(cmd & EDU_CMD_START) ||
		    now_ms() - start > DMA_TIMEOUT_MS)
			break;
		usleep(DMA_POLL_US);
	}
	return ret || !(cmd & EDU_CMD_START) ? ret : ETIMEDOUT;
}

int edu_dma(const struct edu *edu, uint64_t src, uint64_t dst, uint64_t cmd)
{
	int ret = edu_wait(edu);

	if (!ret)
		ret = edu_write(edu, EDU_DMA_SRC, src);
	if (!ret)
		ret = edu_write(edu, EDU_DMA_DST, dst);
	if (!ret)
		ret = edu_write(edu, EDU_DMA_CNT, DMA_LEN);
	if (!ret)
		ret = edu_write(edu, EDU_DMA_CMD, cmd | EDU_CMD_START);
	return ret ? ret : edu_wait(edu);
}

int edu_from_ram(const struct edu *edu, uint64_t iova)
{
	return edu_dma(edu, iova, EDU_BUF, 0);
}

int edu_to_ram(const struct edu *edu, uint64_t iova)
{
	return edu_dma(edu, EDU_BUF, iova, EDU_CMD_TO_RAM);
}

int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0 && lseek(fd, 0, SEEK_END) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

bool is_fault_line(enum target target, const char *msg)
{
	/* The record naming the request may be rate limited; not this one. */
	bool vtd = strstr(msg, "DMAR: [DMA Read") ||
		   strstr(msg, "DMAR: [DMA Write") ||
		   strstr(msg, "DMAR: DRHD: handling fault status");
	bool smmu = strstr(msg, "arm-smmu-v3") && strstr(msg, "event");
	bool virtio = strstr(msg, "virtio_iommu") && strstr(msg, "fault");

	switch (target) {
	case TARGET_VTD:
		return vtd;
	case TARGET_VIRTIO:
		return virtio;
	case TARGET_SMMUV3:
		return smmu;
	default:
		return vtd || smmu || virtio;
	}
}

bool kmsg_find_fault(int fd, enum target target, char *seen, size_t len)
{
	uint64_t start = now_ms();
	char rec[8192], *msg;
	size_t used = 0;
	ssize_t n;
	int w;

	snprintf(seen, len, "%s", fd < 0 ? "(/dev/kmsg unreadable)" : "");
	while (fd >= 0) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* records were overwritten */
		if (n < 0 && errno == EAGAIN) {
			if (now_ms() - start > KMSG_WAIT_MS)
				break;
			usleep(10000);
			continue;
		}
		if (n <= 0)
			break;
		rec[n] = 0;
		/* "prio,seq,usec,flags;message\n" then " KEY=value" lines */
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		msg[strcspn(msg, "\n")] = 0;
		if (is_fault_line(target, msg)) {
			used = strnlen(msg, len - 1);
			memcpy(seen, msg, used);
			seen[used] = 0;
			return true;
		}
		if (used + 1 < len) {
			w = snprintf(seen + used, len - used, "%s%s",
				     used ? " | " : "", msg);
			used += w > 0 ? w : 0;
		}
	}
	return false;
}

int edu_msi_enable(int dev_fd, int *efd)
{
	char buf[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
	struct vfio_irq_set *set = (struct vfio_irq_set *)buf;
	int32_t fd;
	int ret;

	*efd = -1;
	fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (fd < 0)
		return errno;
	set->argsz = sizeof(buf);
	set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	set->index = VFIO_PCI_MSI_IRQ_INDEX;
	set->start = 0;
	set->count = 1;
	memcpy(set->data, &fd, sizeof(fd));
	ret = ioctl(dev_fd, VFIO_DEVICE_SET_IRQS, set) ? errno : 0;
	if (ret)
		close(fd);
	else
		*efd = fd;
	return ret;
}

int edu_msi_disable(int dev_fd, int efd)
{
	struct vfio_irq_set set = {
		.argsz = sizeof(set),
		.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
		.index = VFIO_PCI_MSI_IRQ_INDEX,
	};
	int ret = ioctl(dev_fd, VFIO_DEVICE_SET_IRQS, &set) ? errno : 0;

	if (efd >= 0)
		close(efd);
	return ret;
}

int eventfd_wait(int efd, int timeout_ms)
{
	struct pollfd pfd = { .fd = efd, .events = POLLIN };
	uint64_t count;
	int n;

	do {
		n = poll(&pfd, 1, timeout_ms);
	} while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n ? errno : ETIMEDOUT;
	return read(efd, &count, sizeof(count)) < 0 ? errno : 0;
}

int edu_read32(const struct edu *edu, uint64_t reg, uint32_t *val)
{
	if (!edu->bar)
		return region_read(edu->fd, edu->bar0 + reg, val, sizeof(*val));
	*val = __atomic_load_n((uint32_t *)edu->bar + reg / sizeof(*val),
			       __ATOMIC_SEQ_CST);
	return 0;
}

int edu_write32(const struct edu *edu, uint64_t reg, uint32_t val)
{
	if (!edu->bar)
		return region_write(edu->fd, edu->bar0 + reg, &val,
				    sizeof(val));
	__atomic_store_n((uint32_t *)edu->bar + reg / sizeof(val), val,
			 __ATOMIC_SEQ_CST);
	return 0;
}

int edu_raise(const struct edu *edu, uint32_t bits)
{
	return edu_write32(edu, EDU_IRQ_RAISE, bits);
}

int edu_ack(const struct edu *edu, uint32_t *status)
{
	int ret = edu_read32(edu, EDU_IRQ_STATUS, status);

	return ret || !*status ? ret : edu_write32(edu, EDU_IRQ_ACK, *status);
}
