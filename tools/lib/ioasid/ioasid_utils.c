// SPDX-License-Identifier: GPL-2.0-only
/*
 * The helpers of ioasid_utils.h: wrappers of the /dev/ioasid ioctls and of
 * the test-only IOASID_TEST, buffers, a PRNG and /proc readers.
 */
/* syscall(), getrandom() and the like, before any system header */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <linux/const.h>

#include "ioasid_utils.h"

int ioasid_alloc(int fd, uint32_t *id)
{
	struct ioasid_alloc cmd = { .size = sizeof(cmd) };
	int ret = ioctl(fd, IOASID_ALLOC, &cmd) ? errno : 0;

	/* 0, which names nothing, when the call failed */
	*id = ret ? 0 : cmd.out_ioasid;
	return ret;
}

int ioasid_destroy(int fd, uint32_t id)
{
	struct ioasid_destroy cmd = { .size = sizeof(cmd), .id = id };

	return ioctl(fd, IOASID_DESTROY, &cmd) ? errno : 0;
}

int get_ranges(int fd, uint32_t id, struct ioasid_iova_range *ranges,
	       uint32_t *num, uint64_t *alignment)
{
	struct ioasid_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioasid = id,
		.num_ranges = *num,
		.ranges = (uintptr_t)ranges,
	};
	int ret = ioctl(fd, IOASID_IOVA_RANGES, &cmd) ? errno : 0;

	*num = cmd.num_ranges;
	if (alignment)
		*alignment = cmd.out_iova_alignment;
	return ret;
}

bool ranges_are(int fd, uint32_t id, const struct ioasid_iova_range *want,
		uint32_t num)
{
	struct ioasid_iova_range got[8] = {};
	uint32_t n = 8;

	if (get_ranges(fd, id, got, &n, NULL) || n != num)
		return false;
	return !memcmp(got, want, num * sizeof(*want));
}

int set_allowed(int fd, uint32_t id, const struct ioasid_iova_range *ranges,
		uint32_t num)
{
	struct ioasid_set_allowed_ranges cmd = {
		.size = sizeof(cmd),
		.ioasid = id,
		.num_ranges = num,
		.ranges = (uintptr_t)ranges,
	};

	return ioctl(fd, IOASID_SET_ALLOWED_RANGES, &cmd) ? errno : 0;
}

int do_map(int fd, struct ioasid_map *cmd)
{
	cmd->size = sizeof(*cmd);
	return ioctl(fd, IOASID_MAP, cmd) ? errno : 0;
}

int map_fixed_prot(int fd, uint32_t id, void *va, uint64_t len, uint64_t iova,
		   uint32_t prot)
{
	struct ioasid_map cmd = {
		.flags = prot | IOASID_MAP_FIXED_IOVA,
		.ioasid = id,
		.user_va = (uintptr_t)va,
		.length = len,
		.iova = iova,
	};

	return do_map(fd, &cmd);
}

int map_fixed(int fd, uint32_t id, void *va, uint64_t len, uint64_t iova)
{
	return map_fixed_prot(fd, id, va, len, iova, MAP_RW);
}

int map_any(int fd, uint32_t id, void *va, uint64_t len, uint64_t alignment,
	    uint64_t *iova)
{
	struct ioasid_map cmd = {
		.flags = MAP_RW,
		.ioasid = id,
		.user_va = (uintptr_t)va,
		.length = len,
		.alignment = alignment,
	};
	int ret = do_map(fd, &cmd);

	if (!ret)
		*iova = cmd.iova;
	return ret;
}

int do_unmap(int fd, struct ioasid_unmap *cmd, uint64_t *out)
{
	int ret;

	cmd->size = sizeof(*cmd);
	ret = ioctl(fd, IOASID_UNMAP, cmd) ? errno : 0;
	if (!ret && out)
		*out = cmd->out_length;
	return ret;
}

int unmap_range(int fd, uint32_t id, uint64_t iova, uint64_t len, uint64_t *out)
{
	struct ioasid_unmap cmd = { .ioasid = id, .iova = iova, .length = len };

	return do_unmap(fd, &cmd, out);
}

int unmap_all(int fd, uint32_t id, uint64_t *out)
{
	struct ioasid_unmap cmd = { .ioasid = id, .flags = IOASID_UNMAP_ALL };

	return do_unmap(fd, &cmd, out);
}

int do_copy(int fd, struct ioasid_copy *cmd)
{
	cmd->size = sizeof(*cmd);
	return ioctl(fd, IOASID_COPY, cmd) ? errno : 0;
}

int copy_fixed(int fd, uint32_t dst, uint32_t src, uint64_t src_iova,
	       uint64_t len, uint64_t dst_iova)
{
	struct ioasid_copy cmd = {
		.flags = MAP_RW | IOASID_MAP_FIXED_IOVA,
		.dst_ioasid = dst,
		.src_ioasid = src,
		.length = len,
		.src_iova = src_iova,
		.dst_iova = dst_iova,
	};

	return do_copy(fd, &cmd);
}

int copy_any(int fd, uint32_t dst, uint32_t src, uint64_t src_iova,
	     uint64_t len, uint64_t *dst_iova)
{
	struct ioasid_copy cmd = {
		.flags = MAP_RW,
		.dst_ioasid = dst,
		.src_ioasid = src,
		.length = len,
		.src_iova = src_iova,
	};
	int ret = do_copy(fd, &cmd);

	if (!ret)
		*dst_iova = cmd.dst_iova;
	return ret;
}

int do_option(int fd, struct ioasid_option *cmd)
{
	cmd->size = sizeof(*cmd);
	return ioctl(fd, IOASID_OPTION, cmd) ? errno : 0;
}

int device_info(int fd, uint32_t dev_id, struct ioasid_device_info *info)
{
	*info = (struct ioasid_device_info) {
		.size = sizeof(*info),
		.dev_id = dev_id,
	};
	return ioctl(fd, IOASID_DEVICE_INFO, info) ? errno : 0;
}

int get_accounting(int fd, uint64_t *mode)
{
	struct ioasid_option cmd = {
		.op = IOASID_OPTION_GET,
		.option = IOASID_OPTION_ACCOUNTING,
	};
	int ret = do_option(fd, &cmd);

	if (!ret)
		*mode = cmd.value;
	return ret;
}

int set_accounting(int fd, uint64_t mode)
{
	struct ioasid_option cmd = {
		.op = IOASID_OPTION_SET,
		.option = IOASID_OPTION_ACCOUNTING,
		.value = mode,
	};

	return do_option(fd, &cmd);
}

uint64_t vm_kb(const char *name)
{
	FILE *f = fopen("/proc/self/status", "r");
	size_t len = strlen(name);
	uint64_t kb = UINT64_MAX;
	char line[128];

	if (!f)
		return UINT64_MAX;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, name, len) && line[len] == ':') {
			kb = strtoull(line + len + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return kb;
}

void *alloc_buf(size_t len, uint8_t value, bool small_pages)
{
	void *buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (buf == MAP_FAILED)
		return NULL;
	if (small_pages)
		madvise(buf, len, MADV_NOHUGEPAGE);
	memset(buf, value, len);
	return buf;
}

bool alternate_at(uint8_t *va, size_t n, size_t page, uint8_t a, uint8_t b)
{
	int memfd = syscall(SYS_memfd_create, "ioasid_buf", 0);
	bool ok = memfd >= 0 && !ftruncate(memfd, 2 * page);
	size_t i;

	for (i = 0; ok && i < n; i++)
		ok = mmap(va + i * page, page, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_FIXED, memfd, (i % 2) * page) !=
		     MAP_FAILED;
	if (memfd >= 0)
		close(memfd);
	if (ok) {
		memset(va, a, page);
		memset(va + page, b, page);
	}
	return ok;
}

uint8_t *alternating_buf(size_t n, size_t page, uint8_t a, uint8_t b)
{
	uint8_t *va = mmap(NULL, n * page, PROT_NONE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (va == MAP_FAILED)
		return NULL;
	if (!alternate_at(va, n, page, a, b)) {
		munmap(va, n * page);
		return NULL;
	}
	return va;
}

void fill(void *buf, size_t len, uint32_t seed)
{
	uint32_t *w = buf;
	size_t i;

	for (i = 0; i < len / sizeof(*w); i++)
		w[i] = seed ^ (uint32_t)i * 2654435761U;
}

bool all_bytes(const uint8_t *buf, size_t len, uint8_t value)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != value)
			return false;
	return true;
}

void rng_init(struct rng *r, uint64_t seed, unsigned int stream)
{
	uint64_t z = seed + (stream + 1) * 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	r->x = (z ^ (z >> 31)) ?: 1;
}

uint64_t rng_next(struct rng *r)
{
	r->x ^= r->x >> 12;
	r->x ^= r->x << 25;
	r->x ^= r->x >> 27;
	return r->x * 0x2545f4914f6cdd1dULL;
}

int touch_shuffled(uint8_t *buf, size_t n, size_t page, uint64_t seed)
{
	size_t *order = malloc(n * sizeof(*order)), i, j, t;
	struct rng r;

	if (!order)
		return ENOMEM;
	rng_init(&r, seed, 0);
	for (i = 0; i < n; i++)
		order[i] = i;
	for (i = n; i > 1; i--) {
		j = rng_next(&r) % i;
		t = order[i - 1];
		order[i - 1] = order[j];
		order[j] = t;
	}
	for (i = 0; i < n; i++)
		buf[order[i] * page] = (uint8_t)order[i];
	free(order);
	return 0;
}

uint64_t fresh_seed(void)
{
	struct timespec ts;
	uint64_t seed;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == sizeof(seed))
		return seed >> 32;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint32_t)(ts.tv_sec * 1000000000ULL + ts.tv_nsec) ^ getpid();
}

int do_test(int fd, struct ioasid_test *cmd)
{
	cmd->size = sizeof(*cmd);
	return ioctl(fd, IOASID_TEST, cmd) ? errno : 0;
}

int do_mock_device(int fd, struct ioasid_test *cmd, uint32_t *id)
{
	int ret;

	cmd->op = IOASID_TEST_MOCK_DEVICE;
	ret = do_test(fd, cmd);
	/* 0, which names nothing, when the call failed */
	*id = ret ? 0 : cmd->mock_device.out_id;
	return ret;
}

int mock_device(int fd, uint32_t *id)
{
	struct ioasid_test cmd = {};

	return do_mock_device(fd, &cmd, id);
}

int mock_device_small_pages(int fd, uint64_t page, uint32_t *id)
{
	struct ioasid_test cmd = { .mock_device.pgsize_bitmap = page };

	return do_mock_device(fd, &cmd, id);
}

int mock_device_host_owned(int fd, uint32_t pasid_bits, uint32_t *id)
{
	struct ioasid_test cmd = {
		.mock_device.flags = IOASID_MOCK_HOST_OWNED,
		.mock_device.pasid_bits = pasid_bits,
	};

	return do_mock_device(fd, &cmd, id);
}

int mock_device_pasids_of(int fd, int other_fd, uint32_t other_id,
			  uint32_t *id)
{
	struct ioasid_test cmd = {
		.mock_device.flags = IOASID_MOCK_HOST_OWNED |
				     IOASID_MOCK_PASIDS_OF,
		.mock_device.group_fd = other_fd,
		.mock_device.group_dev = other_id,
	};

	return do_mock_device(fd, &cmd, id);
}

int bind_untranslated(int fd, uint32_t flags)
{
	struct ioasid_test cmd = {
		.op = IOASID_TEST_BIND_UNTRANSLATED,
		.mock_device.flags = flags,
	};

	return do_test(fd, &cmd);
}

int mock_attach(int fd, uint32_t dev, uint32_t ioasid)
{
	struct ioasid_test cmd = {
		.op = IOASID_TEST_ATTACH,
		.id = dev,
		.ioasid = ioasid,
	};

	return do_test(fd, &cmd);
}

int mock_detach(int fd, uint32_t dev)
{
	struct ioasid_test cmd = { .op = IOASID_TEST_DETACH, .id = dev };

	return do_test(fd, &cmd);
}

int mock_attach_pasid(int fd, uint32_t dev, uint32_t pasid, uint32_t ioasid)
{
	struct ioasid_test cmd = {
		.op = IOASID_TEST_ATTACH_PASID,
		.id = dev,
		.ioasid = ioasid,
		.pasid.pasid = pasid,
	};

	return do_test(fd, &cmd);
}

int mock_detach_pasid(int fd, uint32_t dev, uint32_t pasid)
{
	struct ioasid_test cmd = {
		.op = IOASID_TEST_DETACH_PASID,
		.id = dev,
		.pasid.pasid = pasid,
	};

	return do_test(fd, &cmd);
}

int floor_op(int fd, uint32_t id, uint64_t iova, const void *buf,
	     uint64_t len, struct ioasid_test *out)
{
	struct ioasid_test cmd = {
		.op = IOASID_TEST_FLOOR,
		.ioasid = id,
		.floor.iova = iova,
		.floor.length = len,
		.floor.uptr = (uintptr_t)buf,
	};
	int ret = do_test(fd, &cmd);

	if (out)
		*out = cmd;
	return ret;
}

int do_dma_stage(int fd, uint32_t dev, uint32_t pasid, uint64_t iova,
		 void *buf, uint64_t len, uint32_t to_iova, uint64_t *fault,
		 uint32_t *stage)
{
	struct ioasid_test cmd = {
		.op = IOASID_TEST_DMA,
		.id = dev,
		.dma.iova = iova,
		.dma.length = len,
		.dma.uptr = (uintptr_t)buf,
		.dma.to_iova = to_iova,
		.dma.pasid = pasid,
	};
	int ret = do_test(fd, &cmd);

	if (fault)
		*fault = ret == EIO ? cmd.dma.out_fault_iova : UINT64_MAX;
	if (stage)
		*stage = ret == EIO ? cmd.dma.out_fault_stage : UINT32_MAX;
	return ret;
}

int do_dma(int fd, uint32_t dev, uint32_t pasid, uint64_t iova, void *buf,
	   uint64_t len, uint32_t to_iova, uint64_t *fault)
{
	return do_dma_stage(fd, dev, pasid, iova, buf, len, to_iova, fault,
			    NULL);
}

int read_iopte(int fd, uint32_t dev, uint32_t pasid, uint64_t iova,
	       struct iopte *pte)
{
	struct ioasid_test cmd = {
		.op = IOASID_TEST_IOPTE,
		.id = dev,
		.iopte.iova = iova,
		.iopte.pasid = pasid,
	};
	int ret = do_test(fd, &cmd);

	pte->pfn = ret ? UINT64_MAX : cmd.iopte.out_pfn;
	pte->pgsize = ret ? 0 : cmd.iopte.out_pgsize;
	pte->prot = ret ? 0 : cmd.iopte.out_prot;
	pte->flags = ret ? 0 : cmd.iopte.out_flags;
	return ret;
}

int access_create(int fd, uint32_t flags, uint32_t *id)
{
	struct ioasid_test cmd = {
		.op = IOASID_TEST_ACCESS_CREATE,
		.access.flags = flags,
	};
	int ret = do_test(fd, &cmd);

	/* 0, which names nothing, when the call failed */
	*id = ret ? 0 : cmd.access.out_id;
	return ret;
}

int access_attach(int fd, uint32_t id, uint32_t ioasid)
{
	struct ioasid_test cmd = {
		.op = IOASID_TEST_ACCESS_ATTACH,
		.id = id,
		.ioasid = ioasid,
	};

	return do_test(fd, &cmd);
}

int access_detach(int fd, uint32_t id)
{
	struct ioasid_test cmd = { .op = IOASID_TEST_ACCESS_DETACH, .id = id };

	return do_test(fd, &cmd);
}

/* An op of emulated device @id on [@iova, @iova + @len) and @buf. */
static int access_op(int fd, uint32_t op, uint32_t id, uint64_t iova,
		     void *buf, uint64_t len, uint32_t flags)
{
	struct ioasid_test cmd = {
		.op = op,
		.id = id,
		.access.iova = iova,
		.access.length = len,
		.access.uptr = (uintptr_t)buf,
		.access.flags = flags,
	};

	return do_test(fd, &cmd);
}

int access_pin(int fd, uint32_t id, uint64_t iova, uint64_t len,
	       uint32_t flags)
{
	return access_op(fd, IOASID_TEST_ACCESS_PIN, id, iova, NULL, len,
			 flags);
}

int access_unpin(int fd, uint32_t id, uint64_t iova, uint64_t len)
{
	return access_op(fd, IOASID_TEST_ACCESS_UNPIN, id, iova, NULL, len, 0);
}

int access_rw(int fd, uint32_t id, uint64_t iova, void *buf, uint64_t len,
	      uint32_t flags)
{
	return access_op(fd, IOASID_TEST_ACCESS_RW, id, iova, buf, len, flags);
}

int access_dma(int fd, uint32_t id, uint64_t iova, void *buf, uint64_t len,
	       uint32_t flags)
{
	return access_op(fd, IOASID_TEST_ACCESS_DMA, id, iova, buf, len,
			 flags);
}

int access_config(int fd, uint32_t id, uint32_t flags,
		  struct ioasid_test *out)
{
	struct ioasid_test cmd = {
		.op = IOASID_TEST_ACCESS_CONFIG,
		.id = id,
		.access.flags = flags,
	};
	int ret = do_test(fd, &cmd);

	if (out)
		*out = cmd;
	return ret;
}

int get_pinned(int fd, struct pinned *p)
{
	struct ioasid_test cmd = { .op = IOASID_TEST_PINNED };
	int ret = do_test(fd, &cmd);

	p->fd_pages = cmd.pinned.out_fd_pages;
	p->user_locked = cmd.pinned.out_user_locked;
	p->mm_locked = cmd.pinned.out_mm_locked;
	p->mm_pinned = cmd.pinned.out_mm_pinned;
	p->table_pages = cmd.pinned.out_table_pages;
	return ret;
}

int open_test_ioasid(const char **why)
{
	struct pinned p;
	int fd;

	fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		*why = "no /dev/ioasid";
		return -1;
	}
	if (get_pinned(fd, &p)) {
		*why = "no IOASID_TEST: CONFIG_DEV_IOASID_TEST is off";
		close(fd);
		return -1;
	}
	*why = NULL;
	return fd;
}

uint64_t fd_pages(int fd)
{
	struct pinned p;

	return get_pinned(fd, &p) ? UINT64_MAX : p.fd_pages;
}

uint64_t table_pages(int fd)
{
	struct pinned p;

	return get_pinned(fd, &p) ? UINT64_MAX : p.table_pages;
}

int64_t pins_held(void)
{
	unsigned long long value, acquired = 0, released = 0;
	int fd, found = 0;
	char name[64];
	FILE *f;

	fd = open("/proc/sys/vm/stat_refresh", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	found = write(fd, "1", 1) == 1;
	close(fd);
	f = found ? fopen("/proc/vmstat", "re") : NULL;
	if (!f)
		return -1;
	found = 0;
	while (fscanf(f, "%63s %llu", name, &value) == 2) {
		if (!strcmp(name, "nr_foll_pin_acquired")) {
			acquired = value;
			found++;
		} else if (!strcmp(name, "nr_foll_pin_released")) {
			released = value;
			found++;
		}
	}
	fclose(f);
	return found == 2 ? (int64_t)(acquired - released) : -1;
}

uint64_t pasid_read_fault(int fd, uint32_t dev, uint32_t pasid, uint64_t iova,
			  uint64_t len)
{
	uint8_t *buf = calloc(1, len);
	uint64_t fault = UINT64_MAX;

	if (buf)
		do_dma(fd, dev, pasid, iova, buf, len, 0, &fault);
	free(buf);
	return fault;
}

uint64_t read_fault(int fd, uint32_t dev, uint64_t iova, uint64_t len)
{
	return pasid_read_fault(fd, dev, 0, iova, len);
}

unsigned long anon_huge_kb(void *addr)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	unsigned long start, end, kb = 0;
	bool inside = false;
	char line[256], perms[8];

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %7s", &start, &end, perms) == 3) {
			inside = start <= (uintptr_t)addr &&
				 (uintptr_t)addr < end;
			continue;
		}
		if (inside && sscanf(line, "AnonHugePages: %lu kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

/* Bits of a /proc/self/pagemap entry. */
#define PAGEMAP_PFN	((1ULL << 55) - 1)
#define PAGEMAP_PRESENT	_BITULL(63)

int page_frame(const void *va, uint64_t *pfn)
{
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	uint64_t ent;
	ssize_t n;

	*pfn = 0;
	if (fd < 0)
		return errno;
	n = pread(fd, &ent, sizeof(ent),
		  (uintptr_t)va / sysconf(_SC_PAGESIZE) * sizeof(ent));
	close(fd);
	if (n != sizeof(ent))
		return n < 0 ? errno : EIO;
	if (ent & PAGEMAP_PRESENT)
		*pfn = ent & PAGEMAP_PFN;
	/* A zero PFN: not present, or the reader lacks CAP_SYS_ADMIN. */
	return *pfn ? 0 : ent & PAGEMAP_PRESENT ? EPERM : ENOENT;
}

uint8_t *alloc_huge(void **base)
{
	uint8_t *raw = mmap(NULL, 2 * SZ_2M, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *buf;

	if (raw == MAP_FAILED)
		return NULL;
	buf = (uint8_t *)(((uintptr_t)raw + SZ_2M - 1) & ~(SZ_2M - 1));
	madvise(buf, SZ_2M, MADV_HUGEPAGE);
	memset(buf, 0x5a, SZ_2M);
	*base = raw;
	return buf;
}

int count_mock_devices(void)
{
	DIR *d = opendir(MOCK_DEVICES);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

bool pasid_sees(int fd, uint32_t dev, uint32_t pasid, uint64_t iova,
		const void *want, uint64_t len)
{
	uint8_t *got = calloc(1, len);
	bool same;

	if (!got)
		return false;
	same = !do_dma(fd, dev, pasid, iova, got, len, 0, NULL) &&
	       !memcmp(got, want, len);
	free(got);
	return same;
}
