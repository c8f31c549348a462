/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libioasid: a small virtio-net driver in userspace over vhost-vdpa, shared
 * by the selftests (ioasid_vdpa) and tools/ioasid.  It finds the modern
 * virtio-net PCI functions, hands them to vp_vdpa and back, creates and
 * deletes vDPA devices through the "vdpa" generic netlink family, and
 * drives one device's two split virtqueues (RX, queue 0, and TX, queue 1)
 * as a VMM's vhost-vdpa backend does.
 *
 * The device's memory is one caller-chosen IOVA range in three regions,
 * each page aligned so that it can be mapped or unmapped alone: the rings
 * of both queues, the RX buffers and the TX buffers.  How the device
 * reaches them is the caller's choice: through a /dev/ioasid IOASID or
 * through the vhost IOTLB (vnet_mapper_ioasid(), vnet_mapper_iotlb()), or
 * any other struct vnet_mapper, or by mapping vnet_region()s itself.
 * Built from vdpa_net.c (see libioasid.mk).
 *
 * Every function returns 0 or a positive errno unless it says otherwise.
 */
#ifndef __LIBIOASID_VDPA_NET_H
#define __LIBIOASID_VDPA_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/vhost.h>
#include <linux/virtio_ring.h>

/* The /dev/ioasid ioctls of vhost-vdpa, until linux/vhost.h has them. */
#ifndef VHOST_VDPA_IOASID_BIND
struct vhost_vdpa_ioasid_bind {
	__u32 argsz;
	__u32 flags;		/* must be 0 */
	__s32 ioasid_fd;	/* an open /dev/ioasid */
	__u32 __reserved;	/* must be 0 */
};

struct vhost_vdpa_ioasid_attach {
	__u32 argsz;
	__u32 flags;		/* must be 0 */
	__u32 asid;
	__u32 ioasid;
	__u32 out_flags;	/* VHOST_VDPA_IOASID_*, set by the kernel */
	__u32 __reserved;	/* must be 0 */
};

#define VHOST_VDPA_IOASID_MOVED		(1U << 0)
#define VHOST_VDPA_IOASID_RUNNING	(1U << 1)

struct vhost_vdpa_ioasid_detach {
	__u32 argsz;
	__u32 flags;		/* must be 0 */
	__u32 asid;
	__u32 __reserved;	/* must be 0 */
};

#define VHOST_VDPA_IOASID_BIND		_IO(VHOST_VIRTIO, 0x90)
#define VHOST_VDPA_IOASID_ATTACH	_IO(VHOST_VIRTIO, 0x91)
#define VHOST_VDPA_IOASID_DETACH	_IO(VHOST_VIRTIO, 0x92)
#endif

#define VNET_PCI_ID		"0x1af4 0x1041"	/* modern virtio-net */
#define VNET_RX			0
#define VNET_TX			1
#define VNET_NUM_VQS		2
/* The ring size asked for, unless the device offers fewer. */
#define VNET_QSIZE		64
/* One buffer per descriptor: a whole frame and its header, no merging. */
#define VNET_BUF_SIZE		2048
/* struct virtio_net_hdr_mrg_rxbuf: what VIRTIO_F_VERSION_1 always uses. */
#define VNET_HDR_LEN		12
#define VNET_FRAME_MAX		(VNET_BUF_SIZE - VNET_HDR_LEN)
/* How long a vhost-vdpa char device may take to appear. */
#define VNET_DEV_WAIT_MS	3000

enum vnet_region_id {
	VNET_REGION_RINGS,	/* desc, avail, used of RX then of TX */
	VNET_REGION_RX,		/* qsize RX buffers of VNET_BUF_SIZE */
	VNET_REGION_TX,		/* qsize TX buffers of VNET_BUF_SIZE */
	VNET_REGIONS,
};

struct vnet_region {
	uint8_t *va;
	uint64_t iova;
	uint64_t len;
};

/*
 * How memory becomes visible to the device: @map makes @len bytes at @va
 * reachable at @iova, @unmap undoes it.  @fd and @ioasid are for the
 * callbacks; the stock mappers use them as the comments of their setters
 * say.
 */
struct vnet_mapper {
	int (*map)(const struct vnet_mapper *m, void *va, uint64_t iova,
		   uint64_t len);
	int (*unmap)(const struct vnet_mapper *m, uint64_t iova, uint64_t len);
	int fd;
	uint32_t ioasid;
};

struct vnet_vq {
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint64_t desc_iova, avail_iova, used_iova;
	uint8_t *bufs;		/* buffer i is at bufs + i * VNET_BUF_SIZE */
	uint64_t bufs_iova;
	uint16_t avail_idx;	/* the avail index last published */
	uint16_t last_used;	/* used entries consumed so far */
	int kick_fd, call_fd;	/* eventfds */
};

struct vnet_dev {
	int fd;			/* /dev/vhost-vdpa-N, owned */
	char path[64];
	uint64_t dev_features;	/* what the device offers */
	uint64_t features;	/* what was negotiated */
	uint16_t qsize;
	uint8_t mac[6];
	bool has_mac;
	/*
	 * Whether the device interrupts (its call eventfds) when it uses a
	 * buffer.  Off unless set before vnet_start(): the waits poll the
	 * used rings, and a device that sends no MSI cannot fault on one
	 * whatever the IOMMU does with its doorbell.
	 */
	bool irqs;
	bool started;		/* DRIVER_OK set by vnet_start() */
	size_t page;
	uint8_t *mem;		/* the regions, back to back */
	size_t mem_len;
	bool own_mem;		/* mmap()ed by vnet_layout() */
	struct vnet_region region[VNET_REGIONS];
	struct vnet_vq vq[VNET_NUM_VQS];
};

/* PCI functions and the vp_vdpa driver */

/*
 * The names, such as 0000:00:05.0, of up to @max virtio-net functions
 * (VNET_PCI_ID) in name order; returns how many, or -1.
 */
int vnet_find_pci(char names[][32], int max);

/*
 * Gives virtio-net function @pci to vp-vdpa: unbinds its driver, sets its
 * driver_override and reprobes.  EINVAL for any other kind of function,
 * ENXIO when vp-vdpa did not take it.
 */
int vnet_bind_vp_vdpa(const char *pci);

/* Gives @pci back to its own driver (virtio-pci), ENXIO if it did not bind. */
int vnet_unbind_vp_vdpa(const char *pci);

/* vDPA devices through the "vdpa" generic netlink family */

/*
 * A vDPA device @name on management device @dev_name, of bus @bus_name
 * ("pci") or of none (NULL, as vdpa_sim's).  @why, when not NULL, gets
 * the kernel's extended ack message, if any.
 */
int vdpa_dev_add(const char *bus_name, const char *dev_name, const char *name,
		 char *why, size_t why_len);

int vdpa_dev_del(const char *name, char *why, size_t why_len);

/*
 * The char device of vDPA device @name, /dev/vhost-vdpa-N, once it
 * exists, waiting up to VNET_DEV_WAIT_MS.
 */
int vhost_vdpa_path(const char *name, char *path, size_t len);

/* The vhost IOTLB of a vhost-vdpa fd, address space 0 */

/* Lets @fd take struct vhost_msg_v2 and batches. */
int vnet_iotlb_enable(int fd);

int vnet_iotlb_update(int fd, uint64_t iova, uint64_t len, void *va);

int vnet_iotlb_invalidate(int fd, uint64_t iova, uint64_t len);

/* The /dev/ioasid bindings of a vhost-vdpa fd */

int vnet_ioasid_bind(int fd, int ioasid_fd);

/* @out_flags, when not NULL, gets VHOST_VDPA_IOASID_* on success. */
int vnet_ioasid_attach(int fd, uint32_t asid, uint32_t ioasid,
		       uint32_t *out_flags);

int vnet_ioasid_detach(int fd, uint32_t asid);

/* The mappers */

/* IOASID_MAP at fixed IOVAs into IOASID @ioasid of /dev/ioasid @ioasid_fd. */
void vnet_mapper_ioasid(struct vnet_mapper *m, int ioasid_fd, uint32_t ioasid);

/* vhost IOTLB updates on vhost-vdpa fd @fd; vnet_open() enabled them. */
void vnet_mapper_iotlb(struct vnet_mapper *m, int fd);

/* The device */

/* A closed device, which vnet_close() leaves alone. */
void vnet_init(struct vnet_dev *d);

/*
 * Opens @path, a /dev/vhost-vdpa-N of a virtio-net device, takes
 * ownership (VHOST_SET_OWNER), enables vhost_msg_v2 and reads what the
 * device offers: EOPNOTSUPP without VIRTIO_F_VERSION_1 and
 * VIRTIO_F_ACCESS_PLATFORM or when it is not a net device.
 */
int vnet_open(struct vnet_dev *d, const char *path);

/* The bytes vnet_layout() needs, once vnet_open() chose the ring size. */
size_t vnet_mem_size(const struct vnet_dev *d);

/*
 * Lays the regions out in @mem, vnet_mem_size() bytes at a page boundary
 * (NULL: mmap()ed here, munmap()ed by vnet_close()), from IOVA @iova, a
 * page boundary too.  Nothing is mapped yet.
 */
int vnet_layout(struct vnet_dev *d, void *mem, uint64_t iova);

const struct vnet_region *vnet_region(const struct vnet_dev *d,
				      enum vnet_region_id id);

/* Maps, or unmaps, every region through @m. */
int vnet_map(const struct vnet_dev *d, const struct vnet_mapper *m);

int vnet_unmap(const struct vnet_dev *d, const struct vnet_mapper *m);

/*
 * Negotiates the features, sets the rings up, posts every RX buffer and
 * sets DRIVER_OK.  The device may DMA from here on: map first.  Again
 * after vnet_reset(), it starts from empty rings.
 */
int vnet_start(struct vnet_dev *d);

/* Status 0: the device stops and forgets its rings. */
int vnet_reset(struct vnet_dev *d);

/*
 * Closes the fd, whose release resets the device, then the eventfds, and
 * frees the memory vnet_layout() allocated.
 */
void vnet_close(struct vnet_dev *d);

/* Traffic */

/*
 * Queues @len bytes of Ethernet frame, after a zeroed header, and kicks.
 * ENOSPC when every TX buffer is in flight (see vnet_tx_wait()).
 */
int vnet_send(struct vnet_dev *d, const void *frame, size_t len);

/* Waits up to @timeout_ms for the device to use every queued TX buffer. */
int vnet_tx_wait(struct vnet_dev *d, int timeout_ms);

struct vnet_rx {
	uint16_t id;		/* the descriptor, and buffer, index */
	uint32_t len;		/* what the device wrote, header included */
	uint8_t *buf;		/* the buffer in the RX region */
};

/*
 * Waits up to @timeout_ms for the next used RX buffer: ETIMEDOUT if none,
 * EIO if the device reports a bad one.  The buffer stays the caller's
 * until vnet_rx_post() gives it back.
 */
int vnet_rx_wait(struct vnet_dev *d, struct vnet_rx *rx, int timeout_ms);

/* Makes RX buffer @id available to the device again, and kicks. */
int vnet_rx_post(struct vnet_dev *d, uint16_t id);

/*
 * vnet_rx_wait(), the frame without its header copied to @frame, at most
 * @cap bytes of it (*@len gets its whole length), and the buffer posted
 * again.
 */
int vnet_recv(struct vnet_dev *d, void *frame, size_t cap, size_t *len,
	      int timeout_ms);

/* The used index the device last wrote on queue @q. */
uint16_t vnet_used_idx(const struct vnet_dev *d, unsigned int q);

/* The device status (VIRTIO_CONFIG_S_*), or -1 with errno set. */
int vnet_status(const struct vnet_dev *d);

#endif /* __LIBIOASID_VDPA_NET_H */
