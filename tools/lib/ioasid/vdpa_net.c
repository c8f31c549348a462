// SPDX-License-Identifier: GPL-2.0-only
/*
 * The helpers of vdpa_net.h: a virtio-net device driven from userspace
 * through vhost-vdpa, its memory made visible through /dev/ioasid or the
 * vhost IOTLB.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <endian.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/vdpa.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>

#include "edu_vfio.h"
#include "ioasid_utils.h"
#include "vdpa_net.h"

#define VDPA_DEVICES	"/sys/bus/vdpa/devices"
#define VP_VDPA		"vp-vdpa"
#define VIRTIO_PCI	"virtio-pci"
/* How often a wait looks at a used index when no interrupt came. */
#define POLL_SLICE_MS	10
/* ... and when interrupts are off. */
#define POLL_NOIRQ_MS	1

/* Generic netlink */

struct nl_req {
	struct nlmsghdr nh;
	struct genlmsghdr gh;
	uint8_t attrs[512];
};

static int nl_put_str(struct nl_req *req, uint16_t type, const char *s)
{
	size_t len = strlen(s) + 1, at = NLMSG_ALIGN(req->nh.nlmsg_len);
	struct nlattr *a = (struct nlattr *)((uint8_t *)req + at);

	if (at + NLA_HDRLEN + NLA_ALIGN(len) > sizeof(*req))
		return ENAMETOOLONG;
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	/* The kernel takes both NLA_STRING and NLA_NUL_STRING as C strings. */
	memcpy((uint8_t *)a + NLA_HDRLEN, s, len);
	req->nh.nlmsg_len = at + NLA_ALIGN(a->nla_len);
	return 0;
}

static void nl_init(struct nl_req *req, uint16_t family, uint8_t cmd,
		    uint8_t version)
{
	static uint32_t seq;

	memset(req, 0, sizeof(*req));
	req->nh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	req->nh.nlmsg_type = family;
	req->nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	req->nh.nlmsg_seq = ++seq + ((uint32_t)getpid() << 16);
	req->gh.cmd = cmd;
	req->gh.version = version;
}

/* The first attribute @type among @len bytes of attributes at @p. */
static const struct nlattr *nl_find(const void *p, size_t len, uint16_t type)
{
	const struct nlattr *a = p;
	size_t step;

	while (len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	       a->nla_len <= len) {
		if ((a->nla_type & NLA_TYPE_MASK) == type)
			return a;
		step = NLA_ALIGN((size_t)a->nla_len);
		if (step >= len)
			break;
		len -= step;
		a = (const struct nlattr *)((const uint8_t *)a + step);
	}
	return NULL;
}

/* The message of the extended ack @nh, if it has one, into @why. */
static void nl_ext_msg(const struct nlmsghdr *nh, char *why, size_t why_len)
{
	const struct nlmsgerr *e = NLMSG_DATA(nh);
	size_t at = NLMSG_ALIGN(sizeof(*e));
	const struct nlattr *a;

	/* NETLINK_CAP_ACK: the TLVs follow the capped error at once. */
	if (!why || !why_len || !(nh->nlmsg_flags & NLM_F_ACK_TLVS) ||
	    nh->nlmsg_len < NLMSG_LENGTH(at))
		return;
	a = nl_find((const uint8_t *)e + at, nh->nlmsg_len - NLMSG_LENGTH(at),
		    NLMSGERR_ATTR_MSG);
	if (a)
		snprintf(why, why_len, "%.*s", (int)(a->nla_len - NLA_HDRLEN),
			 (const char *)a + NLA_HDRLEN);
}

/*
 * Sends @req and reads until its ack: the ack's errno.  A reply before the
 * ack is copied to @reply, @reply_len bytes at most.
 */
static int nl_talk(int sock, struct nl_req *req, void *reply, size_t reply_len,
		   char *why, size_t why_len)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	uint32_t buf[8192 / sizeof(uint32_t)];
	struct nlmsghdr *nh;
	ssize_t n;
	int len;

	if (why && why_len)
		why[0] = 0;
	if (sendto(sock, req, req->nh.nlmsg_len, 0,
		   (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return errno;
	for (;;) {
		n = recv(sock, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		len = n;
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, len);
		     nh = NLMSG_NEXT(nh, len)) {
			if (nh->nlmsg_seq != req->nh.nlmsg_seq)
				continue;
			if (nh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nh);

				if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
					return EIO;
				nl_ext_msg(nh, why, why_len);
				return -e->error;
			}
			if (reply)
				memcpy(reply, nh, nh->nlmsg_len < reply_len ?
				       nh->nlmsg_len : reply_len);
		}
	}
}

static int nl_open(void)
{
	int one = 1, sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
				   NETLINK_GENERIC);
	/* Every request asks for an ack: waiting longer means none comes. */
	struct timeval timeout = { .tv_sec = 10 };

	if (sock < 0)
		return -1;
	if (setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &timeout,
		       sizeof(timeout))) {
		close(sock);
		return -1;
	}
	/* Failing these costs only the kernel's messages. */
	setsockopt(sock, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(sock, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	return sock;
}

/* The id of generic netlink family @name: ENOENT when not registered. */
static int nl_family(int sock, const char *name, uint16_t *id)
{
	uint32_t reply[1024];
	struct nlmsghdr *nh = (struct nlmsghdr *)reply;
	const struct nlattr *a;
	struct nl_req req;
	int ret;

	nl_init(&req, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1);
	ret = nl_put_str(&req, CTRL_ATTR_FAMILY_NAME, name);
	memset(reply, 0, sizeof(reply));
	if (!ret)
		ret = nl_talk(sock, &req, reply, sizeof(reply), NULL, 0);
	if (ret)
		return ret;
	if (nh->nlmsg_type != GENL_ID_CTRL ||
	    nh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
		return EIO;
	a = nl_find((uint8_t *)NLMSG_DATA(nh) + GENL_HDRLEN,
		    nh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN),
		    CTRL_ATTR_FAMILY_ID);
	if (!a || a->nla_len < NLA_HDRLEN + sizeof(*id))
		return EIO;
	memcpy(id, (const uint8_t *)a + NLA_HDRLEN, sizeof(*id));
	return 0;
}

/* One VDPA_CMD_* of the attributes that are not NULL. */
static int vdpa_cmd(uint8_t cmd, const char *bus_name, const char *dev_name,
		    const char *name, char *why, size_t why_len)
{
	int sock = nl_open(), ret;
	struct nl_req req;
	uint16_t family;

	if (why && why_len)
		why[0] = 0;
	if (sock < 0)
		return errno;
	ret = nl_family(sock, VDPA_GENL_NAME, &family);
	if (!ret) {
		nl_init(&req, family, cmd, VDPA_GENL_VERSION);
		if (bus_name)
			ret = nl_put_str(&req, VDPA_ATTR_MGMTDEV_BUS_NAME,
					 bus_name);
		if (!ret && dev_name)
			ret = nl_put_str(&req, VDPA_ATTR_MGMTDEV_DEV_NAME,
					 dev_name);
		if (!ret)
			ret = nl_put_str(&req, VDPA_ATTR_DEV_NAME, name);
		if (!ret)
			ret = nl_talk(sock, &req, NULL, 0, why, why_len);
	} else if (why && why_len) {
		snprintf(why, why_len, "no \"%s\" generic netlink family",
			 VDPA_GENL_NAME);
	}
	close(sock);
	return ret;
}

int vdpa_dev_add(const char *bus_name, const char *dev_name, const char *name,
		 char *why, size_t why_len)
{
	return vdpa_cmd(VDPA_CMD_DEV_NEW, bus_name, dev_name, name, why,
			why_len);
}

int vdpa_dev_del(const char *name, char *why, size_t why_len)
{
	return vdpa_cmd(VDPA_CMD_DEV_DEL, NULL, NULL, name, why, why_len);
}

/* PCI functions */

int vnet_find_pci(char names[][32], int max)
{
	return pci_find_id(VNET_PCI_ID, names, max);
}

static int pci_write(const char *pci, const char *attr, const char *value)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/%s", pci, attr);
	return write_attr(path, value);
}

static bool driver_is(const char *pci, const char *want)
{
	char link[PATH_MAX];
	const char *driver = link_name(pci, "driver", link, sizeof(link));

	return want ? driver && !strcmp(driver, want) : !driver;
}

int vnet_bind_vp_vdpa(const char *pci)
{
	int ret;

	/* Never another virtio function, such as a virtio-iommu. */
	if (!pci_id_is(pci, VNET_PCI_ID))
		return EINVAL;
	if (driver_is(pci, VP_VDPA))
		return 0;
	if (!driver_is(pci, NULL)) {
		ret = pci_write(pci, "driver/unbind", pci);
		if (ret)
			return ret;
	}
	ret = pci_write(pci, "driver_override", VP_VDPA);
	if (!ret)
		ret = write_attr("/sys/bus/pci/drivers_probe", pci);
	/* drivers_probe succeeds whether or not a driver took it. */
	return ret ? ret : driver_is(pci, VP_VDPA) ? 0 : ENXIO;
}

int vnet_unbind_vp_vdpa(const char *pci)
{
	int ret = 0;

	if (!pci_id_is(pci, VNET_PCI_ID))
		return EINVAL;
	if (driver_is(pci, VP_VDPA))
		ret = pci_write(pci, "driver/unbind", pci);
	if (!ret)
		ret = pci_write(pci, "driver_override", "\n");
	if (!ret && driver_is(pci, NULL))
		ret = write_attr("/sys/bus/pci/drivers_probe", pci);
	if (ret)
		return ret;
	/* A kernel without virtio-pci (the arm64 one) leaves it driverless. */
	if (access("/sys/bus/pci/drivers/" VIRTIO_PCI, F_OK))
		return driver_is(pci, NULL) ? 0 : EBUSY;
	return driver_is(pci, VIRTIO_PCI) ? 0 : ENXIO;
}

int vhost_vdpa_path(const char *name, char *path, size_t len)
{
	uint64_t start = now_ms();
	char dir[PATH_MAX];
	bool in_sysfs;
	char *entry;

	snprintf(dir, sizeof(dir), VDPA_DEVICES "/%s", name);
	for (;;) {
		entry = find_entry(dir, has_prefix, "vhost-vdpa-");
		in_sysfs = entry;
		if (entry)
			snprintf(path, len, "/dev/%s", entry);
		free(entry);
		/* devtmpfs may lag behind sysfs. */
		if (in_sysfs && !access(path, F_OK))
			return 0;
		if (now_ms() - start > VNET_DEV_WAIT_MS)
			return in_sysfs ? ENODEV : ENOENT;
		usleep(10000);
	}
}

/* The vhost IOTLB and the /dev/ioasid ioctls */

int vnet_iotlb_enable(int fd)
{
	uint64_t features = (1ULL << VHOST_BACKEND_F_IOTLB_MSG_V2) |
			    (1ULL << VHOST_BACKEND_F_IOTLB_BATCH);

	return ioctl(fd, VHOST_SET_BACKEND_FEATURES, &features) ? errno : 0;
}

static int iotlb_msg(int fd, uint8_t type, uint64_t iova, uint64_t len,
		     void *va)
{
	struct vhost_msg_v2 msg = {
		.type = VHOST_IOTLB_MSG_V2,
		.asid = 0,
		.iotlb = {
			.iova = iova,
			.size = len,
			.uaddr = (uintptr_t)va,
			.perm = va ? VHOST_ACCESS_RW : 0,
			.type = type,
		},
	};
	ssize_t n = write(fd, &msg, sizeof(msg));

	if (n == (ssize_t)sizeof(msg))
		return 0;
	return n < 0 ? errno : EIO;
}

int vnet_iotlb_update(int fd, uint64_t iova, uint64_t len, void *va)
{
	return iotlb_msg(fd, VHOST_IOTLB_UPDATE, iova, len, va);
}

int vnet_iotlb_invalidate(int fd, uint64_t iova, uint64_t len)
{
	return iotlb_msg(fd, VHOST_IOTLB_INVALIDATE, iova, len, NULL);
}

int vnet_ioasid_bind(int fd, int ioasid_fd)
{
	struct vhost_vdpa_ioasid_bind cmd = {
		.argsz = sizeof(cmd),
		.ioasid_fd = ioasid_fd,
	};

	return ioctl(fd, VHOST_VDPA_IOASID_BIND, &cmd) ? errno : 0;
}

int vnet_ioasid_attach(int fd, uint32_t asid, uint32_t ioasid,
		       uint32_t *out_flags)
{
	struct vhost_vdpa_ioasid_attach cmd = {
		.argsz = sizeof(cmd),
		.asid = asid,
		.ioasid = ioasid,
	};

	if (ioctl(fd, VHOST_VDPA_IOASID_ATTACH, &cmd))
		return errno;
	if (out_flags)
		*out_flags = cmd.out_flags;
	return 0;
}

int vnet_ioasid_detach(int fd, uint32_t asid)
{
	struct vhost_vdpa_ioasid_detach cmd = {
		.argsz = sizeof(cmd),
		.asid = asid,
	};

	return ioctl(fd, VHOST_VDPA_IOASID_DETACH, &cmd) ? errno : 0;
}

/* Mappers */

static int ioasid_mapper_map(const struct vnet_mapper *m, void *va,
			     uint64_t iova, uint64_t len)
{
	return map_fixed(m->fd, m->ioasid, va, len, iova);
}

static int ioasid_mapper_unmap(const struct vnet_mapper *m, uint64_t iova,
			       uint64_t len)
{
	return unmap_range(m->fd, m->ioasid, iova, len, NULL);
}

void vnet_mapper_ioasid(struct vnet_mapper *m, int ioasid_fd, uint32_t ioasid)
{
	m->map = ioasid_mapper_map;
	m->unmap = ioasid_mapper_unmap;
	m->fd = ioasid_fd;
	m->ioasid = ioasid;
}

static int iotlb_mapper_map(const struct vnet_mapper *m, void *va,
			    uint64_t iova, uint64_t len)
{
	return vnet_iotlb_update(m->fd, iova, len, va);
}

static int iotlb_mapper_unmap(const struct vnet_mapper *m, uint64_t iova,
			      uint64_t len)
{
	return vnet_iotlb_invalidate(m->fd, iova, len);
}

void vnet_mapper_iotlb(struct vnet_mapper *m, int fd)
{
	m->map = iotlb_mapper_map;
	m->unmap = iotlb_mapper_unmap;
	m->fd = fd;
	m->ioasid = 0;
}

/* The device */

static size_t round_up_to(size_t n, size_t align)
{
	return (n + align - 1) / align * align;
}

/* The sizes, each a whole number of pages, of a queue's three parts. */
static void ring_sizes(const struct vnet_dev *d, size_t *desc, size_t *avail,
		       size_t *used)
{
	/* avail and used end with the event index we do not use. */
	*desc = round_up_to(sizeof(struct vring_desc) * d->qsize, d->page);
	*avail = round_up_to(sizeof(struct vring_avail) +
			     sizeof(__virtio16) * (d->qsize + 1), d->page);
	*used = round_up_to(sizeof(struct vring_used) +
			    sizeof(struct vring_used_elem) * d->qsize +
			    sizeof(__virtio16), d->page);
}

static size_t bufs_size(const struct vnet_dev *d)
{
	return round_up_to((size_t)d->qsize * VNET_BUF_SIZE, d->page);
}

size_t vnet_mem_size(const struct vnet_dev *d)
{
	size_t desc, avail, used;

	ring_sizes(d, &desc, &avail, &used);
	return VNET_NUM_VQS * (desc + avail + used) + 2 * bufs_size(d);
}

void vnet_init(struct vnet_dev *d)
{
	int i;

	memset(d, 0, sizeof(*d));
	d->fd = -1;
	for (i = 0; i < VNET_NUM_VQS; i++) {
		d->vq[i].kick_fd = -1;
		d->vq[i].call_fd = -1;
	}
	d->page = sysconf(_SC_PAGESIZE);
}

int vnet_open(struct vnet_dev *d, const char *path)
{
	/* struct vhost_vdpa_config and room for the MAC address */
	uint32_t cfg_buf[(sizeof(struct vhost_vdpa_config) + 8 + 3) / 4];
	struct vhost_vdpa_config *cfg = (struct vhost_vdpa_config *)cfg_buf;
	uint32_t id = 0;
	uint16_t max = 0;
	int ret;

	vnet_init(d);
	snprintf(d->path, sizeof(d->path), "%s", path);

	d->fd = open(path, O_RDWR | O_CLOEXEC);
	if (d->fd < 0)
		return errno;
	if (ioctl(d->fd, VHOST_VDPA_GET_DEVICE_ID, &id))
		goto err;
	ret = EOPNOTSUPP;
	if (id != VIRTIO_ID_NET)
		goto err_ret;
	if (ioctl(d->fd, VHOST_SET_OWNER, NULL))
		goto err;
	/* As a VMM does: harmless where the IOTLB goes unused. */
	ret = vnet_iotlb_enable(d->fd);
	if (ret)
		goto err_ret;
	if (ioctl(d->fd, VHOST_GET_FEATURES, &d->dev_features))
		goto err;
	ret = EOPNOTSUPP;
	if (!(d->dev_features & (1ULL << VIRTIO_F_VERSION_1)) ||
	    !(d->dev_features & (1ULL << VIRTIO_F_ACCESS_PLATFORM)))
		goto err_ret;
	if (ioctl(d->fd, VHOST_VDPA_GET_VRING_NUM, &max))
		goto err;
	ret = EINVAL;
	if (!max)
		goto err_ret;
	/* A power of two no larger than either. */
	for (d->qsize = VNET_QSIZE; d->qsize > max; d->qsize /= 2)
		;

	if (d->dev_features & (1ULL << VIRTIO_NET_F_MAC)) {
		cfg->off = offsetof(struct virtio_net_config, mac);
		cfg->len = sizeof(d->mac);
		if (ioctl(d->fd, VHOST_VDPA_GET_CONFIG, cfg))
			goto err;
		memcpy(d->mac, cfg->buf, sizeof(d->mac));
		d->has_mac = true;
	}
	return 0;

err:
	ret = errno;
err_ret:
	close(d->fd);
	d->fd = -1;
	return ret;
}

int vnet_layout(struct vnet_dev *d, void *mem, uint64_t iova)
{
	size_t desc, avail, used, at = 0;
	struct vnet_region *r = d->region;
	struct vnet_vq *vq;
	int i;

	if ((uintptr_t)mem % d->page || iova % d->page)
		return EINVAL;
	d->mem_len = vnet_mem_size(d);
	d->own_mem = !mem;
	if (!mem) {
		mem = mmap(NULL, d->mem_len, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (mem == MAP_FAILED) {
			d->own_mem = false;
			return errno;
		}
	}
	d->mem = mem;
	memset(d->mem, 0, d->mem_len);

	ring_sizes(d, &desc, &avail, &used);
	r[VNET_REGION_RINGS].len = VNET_NUM_VQS * (desc + avail + used);
	r[VNET_REGION_RX].len = bufs_size(d);
	r[VNET_REGION_TX].len = bufs_size(d);
	for (i = 0; i < VNET_REGIONS; i++) {
		r[i].va = d->mem + at;
		r[i].iova = iova + at;
		at += r[i].len;
	}

	for (i = 0, at = 0; i < VNET_NUM_VQS; i++) {
		vq = &d->vq[i];
		vq->desc = (struct vring_desc *)(r[VNET_REGION_RINGS].va + at);
		vq->desc_iova = r[VNET_REGION_RINGS].iova + at;
		at += desc;
		vq->avail = (struct vring_avail *)(r[VNET_REGION_RINGS].va +
						   at);
		vq->avail_iova = r[VNET_REGION_RINGS].iova + at;
		at += avail;
		vq->used = (struct vring_used *)(r[VNET_REGION_RINGS].va + at);
		vq->used_iova = r[VNET_REGION_RINGS].iova + at;
		at += used;
	}
	d->vq[VNET_RX].bufs = r[VNET_REGION_RX].va;
	d->vq[VNET_RX].bufs_iova = r[VNET_REGION_RX].iova;
	d->vq[VNET_TX].bufs = r[VNET_REGION_TX].va;
	d->vq[VNET_TX].bufs_iova = r[VNET_REGION_TX].iova;
	return 0;
}

const struct vnet_region *vnet_region(const struct vnet_dev *d,
				      enum vnet_region_id id)
{
	return id < VNET_REGIONS ? &d->region[id] : NULL;
}

int vnet_map(const struct vnet_dev *d, const struct vnet_mapper *m)
{
	const struct vnet_region *r;
	int i, ret = 0;

	for (i = 0; !ret && i < VNET_REGIONS; i++) {
		r = &d->region[i];
		ret = m->map(m, r->va, r->iova, r->len);
	}
	/* Undo what was mapped when one failed. */
	while (ret && --i > 0) {
		r = &d->region[i - 1];
		m->unmap(m, r->iova, r->len);
	}
	return ret;
}

int vnet_unmap(const struct vnet_dev *d, const struct vnet_mapper *m)
{
	const struct vnet_region *r;
	int i, ret, first = 0;

	for (i = 0; i < VNET_REGIONS; i++) {
		r = &d->region[i];
		ret = m->unmap(m, r->iova, r->len);
		if (!first)
			first = ret;
	}
	return first;
}

int vnet_status(const struct vnet_dev *d)
{
	uint8_t status;

	return ioctl(d->fd, VHOST_VDPA_GET_STATUS, &status) ? -1 : status;
}

static int set_status(struct vnet_dev *d, uint8_t status)
{
	return ioctl(d->fd, VHOST_VDPA_SET_STATUS, &status) ? errno : 0;
}

/* Sets @bits on top of the status, and checks that the device kept them. */
static int add_status(struct vnet_dev *d, uint8_t bits)
{
	int status = vnet_status(d), ret;

	if (status < 0)
		return errno;
	ret = set_status(d, status | bits);
	if (ret)
		return ret;
	status = vnet_status(d);
	if (status < 0)
		return errno;
	if ((status & bits) != bits ||
	    (status & (VIRTIO_CONFIG_S_FAILED | VIRTIO_CONFIG_S_NEEDS_RESET)))
		return EIO;
	return 0;
}

/*
 * Publishes the avail entries written so far.  The fences order the
 * descriptors and ring entries before the index, and the index before a
 * kick; the device is coherent, so CPU barriers suffice on arm64 too.
 */
static void publish(struct vnet_vq *vq)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&vq->avail->idx, htole16(vq->avail_idx),
			 __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static int kick(struct vnet_vq *vq)
{
	uint64_t one = 1;

	return write(vq->kick_fd, &one, sizeof(one)) == sizeof(one) ? 0 : errno;
}

static void rx_add(struct vnet_dev *d, uint16_t id)
{
	struct vnet_vq *vq = &d->vq[VNET_RX];

	vq->desc[id].addr = htole64(vq->bufs_iova + (uint64_t)id *
				    VNET_BUF_SIZE);
	vq->desc[id].len = htole32(VNET_BUF_SIZE);
	vq->desc[id].flags = htole16(VRING_DESC_F_WRITE);
	vq->desc[id].next = 0;
	vq->avail->ring[vq->avail_idx % d->qsize] = htole16(id);
	vq->avail_idx++;
}

static int setup_vq(struct vnet_dev *d, unsigned int q)
{
	struct vnet_vq *vq = &d->vq[q];
	struct vhost_vring_state num = { .index = q, .num = d->qsize };
	struct vhost_vring_state base = { .index = q, .num = 0 };
	struct vhost_vring_state enable = { .index = q, .num = 1 };
	struct vhost_vring_addr addr = {
		.index = q,
		.desc_user_addr = vq->desc_iova,
		.avail_user_addr = vq->avail_iova,
		.used_user_addr = vq->used_iova,
	};
	struct vhost_vring_file file = { .index = q };
	uint16_t i;

	vq->avail_idx = 0;
	vq->last_used = 0;
	vq->avail->flags = d->irqs ? 0 : htole16(VRING_AVAIL_F_NO_INTERRUPT);
	if (vq->kick_fd < 0)
		vq->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (vq->call_fd < 0)
		vq->call_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (vq->kick_fd < 0 || vq->call_fd < 0)
		return errno;
	if (ioctl(d->fd, VHOST_SET_VRING_NUM, &num) ||
	    ioctl(d->fd, VHOST_SET_VRING_ADDR, &addr) ||
	    /* vp_vdpa takes a base only after FEATURES_OK, before enabling. */
	    ioctl(d->fd, VHOST_SET_VRING_BASE, &base))
		return errno;
	file.fd = vq->kick_fd;
	if (ioctl(d->fd, VHOST_SET_VRING_KICK, &file))
		return errno;
	file.fd = vq->call_fd;
	if (ioctl(d->fd, VHOST_SET_VRING_CALL, &file))
		return errno;
	if (q == VNET_RX) {
		for (i = 0; i < d->qsize; i++)
			rx_add(d, i);
		publish(vq);
	}
	return ioctl(d->fd, VHOST_VDPA_SET_VRING_ENABLE, &enable) ? errno : 0;
}

int vnet_start(struct vnet_dev *d)
{
	uint64_t want = (1ULL << VIRTIO_F_VERSION_1) |
			(1ULL << VIRTIO_F_ACCESS_PLATFORM) |
			(1ULL << VIRTIO_NET_F_MAC);
	unsigned int q;
	int ret;

	if (!d->mem)
		return EINVAL;
	memset(d->region[VNET_REGION_RINGS].va, 0,
	       d->region[VNET_REGION_RINGS].len);
	/* The virtio order: ACKNOWLEDGE and DRIVER, features, FEATURES_OK. */
	ret = set_status(d, VIRTIO_CONFIG_S_ACKNOWLEDGE |
			    VIRTIO_CONFIG_S_DRIVER);
	if (ret)
		return ret;
	d->features = d->dev_features & want;
	if (ioctl(d->fd, VHOST_SET_FEATURES, &d->features))
		return errno;
	ret = add_status(d, VIRTIO_CONFIG_S_FEATURES_OK);
	for (q = 0; !ret && q < VNET_NUM_VQS; q++)
		ret = setup_vq(d, q);
	if (!ret)
		ret = add_status(d, VIRTIO_CONFIG_S_DRIVER_OK);
	if (ret)
		return ret;
	d->started = true;
	/* Frames the device held back for want of buffers may come now. */
	return kick(&d->vq[VNET_RX]);
}

int vnet_reset(struct vnet_dev *d)
{
	d->started = false;
	return set_status(d, 0);
}

void vnet_close(struct vnet_dev *d)
{
	int i;

	/* Closing the fd resets the device, which stops its DMA. */
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
	d->started = false;
	for (i = 0; i < VNET_NUM_VQS; i++) {
		if (d->vq[i].kick_fd >= 0)
			close(d->vq[i].kick_fd);
		if (d->vq[i].call_fd >= 0)
			close(d->vq[i].call_fd);
		d->vq[i].kick_fd = -1;
		d->vq[i].call_fd = -1;
	}
	if (d->own_mem && d->mem)
		munmap(d->mem, d->mem_len);
	d->mem = NULL;
	d->own_mem = false;
}

/* Traffic */

uint16_t vnet_used_idx(const struct vnet_dev *d, unsigned int q)
{
	return le16toh(__atomic_load_n(&d->vq[q].used->idx, __ATOMIC_ACQUIRE));
}

/*
 * Sleeps until @vq's call eventfd fires or @ms pass, and drains it: the
 * caller looks at the used index either way, so a lost interrupt only
 * costs time.  Without interrupts, sleeps a little.
 */
static void wait_call(const struct vnet_dev *d, struct vnet_vq *vq, int ms)
{
	struct pollfd pfd = { .fd = vq->call_fd, .events = POLLIN };
	uint64_t count;

	if (!d->irqs) {
		usleep(1000 * (ms < POLL_NOIRQ_MS ? ms : POLL_NOIRQ_MS));
		return;
	}
	if (poll(&pfd, 1, ms) > 0 &&
	    read(vq->call_fd, &count, sizeof(count)) < 0)
		return;	/* EAGAIN: nothing to drain after all */
}

/* The next used element of @q, if the device wrote one. */
static bool next_used(struct vnet_dev *d, unsigned int q,
		      struct vring_used_elem *e)
{
	struct vnet_vq *vq = &d->vq[q];

	if (vnet_used_idx(d, q) == vq->last_used)
		return false;
	/* The acquire above orders this read after the index's. */
	e->id = le32toh(vq->used->ring[vq->last_used % d->qsize].id);
	e->len = le32toh(vq->used->ring[vq->last_used % d->qsize].len);
	vq->last_used++;
	return true;
}

static int remaining_ms(uint64_t deadline)
{
	uint64_t now = now_ms();

	if (now >= deadline)
		return 0;
	return deadline - now < POLL_SLICE_MS ? deadline - now : POLL_SLICE_MS;
}

/* TX buffers in flight: avail entries the device did not use yet. */
static uint16_t tx_in_flight(const struct vnet_dev *d)
{
	const struct vnet_vq *vq = &d->vq[VNET_TX];

	return vq->avail_idx - vq->last_used;
}

/* Consumes the TX used entries; the device completes TX in order. */
static int tx_reap(struct vnet_dev *d)
{
	struct vring_used_elem e;

	while (next_used(d, VNET_TX, &e))
		if (e.id >= d->qsize)
			return EIO;
	return 0;
}

int vnet_send(struct vnet_dev *d, const void *frame, size_t len)
{
	struct vnet_vq *vq = &d->vq[VNET_TX];
	uint16_t id;
	uint8_t *buf;
	int ret;

	if (!d->started || len > VNET_FRAME_MAX)
		return EINVAL;
	ret = tx_reap(d);
	if (ret)
		return ret;
	if (tx_in_flight(d) >= d->qsize)
		return ENOSPC;
	/*
	 * Buffers go round in avail order; with in-order completion, the
	 * one @qsize entries back is free once fewer are in flight.
	 */
	id = vq->avail_idx % d->qsize;
	buf = vq->bufs + (size_t)id * VNET_BUF_SIZE;
	memset(buf, 0, VNET_HDR_LEN);
	memcpy(buf + VNET_HDR_LEN, frame, len);
	vq->desc[id].addr = htole64(vq->bufs_iova + (uint64_t)id *
				    VNET_BUF_SIZE);
	vq->desc[id].len = htole32(VNET_HDR_LEN + len);
	vq->desc[id].flags = 0;
	vq->desc[id].next = 0;
	vq->avail->ring[vq->avail_idx % d->qsize] = htole16(id);
	vq->avail_idx++;
	publish(vq);
	return kick(vq);
}

int vnet_tx_wait(struct vnet_dev *d, int timeout_ms)
{
	uint64_t deadline = now_ms() + timeout_ms;
	int ret, ms;

	for (;;) {
		ret = tx_reap(d);
		if (ret || !tx_in_flight(d))
			return ret;
		ms = remaining_ms(deadline);
		if (!ms)
			return ETIMEDOUT;
		wait_call(d, &d->vq[VNET_TX], ms);
	}
}

int vnet_rx_wait(struct vnet_dev *d, struct vnet_rx *rx, int timeout_ms)
{
	uint64_t deadline = now_ms() + timeout_ms;
	struct vring_used_elem e;
	int ms;

	if (!d->started)
		return EINVAL;
	while (!next_used(d, VNET_RX, &e)) {
		ms = remaining_ms(deadline);
		if (!ms)
			return ETIMEDOUT;
		wait_call(d, &d->vq[VNET_RX], ms);
	}
	if (e.id >= d->qsize || e.len > VNET_BUF_SIZE)
		return EIO;
	rx->id = e.id;
	rx->len = e.len;
	rx->buf = d->vq[VNET_RX].bufs + (size_t)e.id * VNET_BUF_SIZE;
	return 0;
}

int vnet_rx_post(struct vnet_dev *d, uint16_t id)
{
	if (id >= d->qsize)
		return EINVAL;
	rx_add(d, id);
	publish(&d->vq[VNET_RX]);
	return kick(&d->vq[VNET_RX]);
}

int vnet_recv(struct vnet_dev *d, void *frame, size_t cap, size_t *len,
	      int timeout_ms)
{
	struct vnet_rx rx;
	size_t n;
	int ret = vnet_rx_wait(d, &rx, timeout_ms);

	if (ret)
		return ret;
	n = rx.len > VNET_HDR_LEN ? rx.len - VNET_HDR_LEN : 0;
	*len = n;
	memcpy(frame, rx.buf + VNET_HDR_LEN, n < cap ? n : cap);
	return vnet_rx_post(d, rx.id);
}
