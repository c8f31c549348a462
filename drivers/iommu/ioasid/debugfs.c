// SPDX-License-Identifier: GPL-2.0-only
/*
 * The debugfs view of /dev/ioasid, for root: a directory per open
 * context, ioasid/<context>/, named by the number its fdinfo shows, with
 *
 *  - owner: the process that opened the fd;
 *  - mappings: every mapping of every IOASID of the context, one line
 *    each, by IOASID and IOVA, with its protection, what memory backs it
 *    and whether COPY shares its pinned pages with another mapping.
 *
 * The mappings file is read a buffer at a time through seq_file, which
 * holds the context's views_rwsem and one IOAS's lock from start to stop
 * and no reference on the IOAS: a cursor remembers where the last read
 * stopped, so each read costs what it shows, however many mappings there
 * are.
 */
#include <linux/debugfs.h>
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/seq_file.h>

#include "ioasid_private.h"

static struct dentry *ioasid_debugfs_root;

static int owner_show(struct seq_file *m, void *unused)
{
	struct ioasid_ctx *ctx = m->private;

	seq_printf(m, "pid=%d comm=%s\n", pid_nr(ctx->opener),
		   ctx->opener_comm);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(owner);

/**
 * struct mappings_cursor - where a reader of the mappings file stands
 * @ctx: the context
 * @ioas: the IOAS being shown, locked for read from start to stop; NULL
 *        between reads
 * @ioas_id: the id of the IOAS of the record at @pos
 * @iova: the first IOVA of the record at @pos
 * @pos: the position the cursor stands at
 * @end: no record is left at @pos
 */
struct mappings_cursor {
	struct ioasid_ctx *ctx;
	struct ioasid_ioas *ioas;
	unsigned long ioas_id;
	unsigned long iova;
	loff_t pos;
	bool end;
};

static void mappings_release_ioas(struct mappings_cursor *cur)
{
	if (!cur->ioas)
		return;
	up_read(&cur->ioas->iova_rwsem);
	cur->ioas = NULL;
}

/* Moves the cursor to the start of the next IOAS id; false past the last. */
static bool mappings_next_ioas(struct mappings_cursor *cur)
{
	if (cur->ioas_id == U32_MAX) {
		cur->end = true;
		return false;
	}
	cur->ioas_id++;
	cur->iova = 0;
	return true;
}

/*
 * The first mapping at or after the cursor's IOAS and IOVA: locks its
 * IOAS, moving the cursor on to the next IOAS while one has none.
 */
static struct ioasid_area *mappings_find(struct mappings_cursor *cur)
{
	struct ioasid_object *entry;
	struct ioasid_area *area;
	struct ioasid_ioas *ioas;

	while (!cur->end) {
		entry = xa_find(&cur->ctx->objects, &cur->ioas_id, U32_MAX,
				XA_PRESENT);
		if (!entry)
			break;
		if (entry->type == IOASID_OBJ_IOAS) {
			ioas = container_of(entry, struct ioasid_ioas, obj);
			down_read(&ioas->iova_rwsem);
			area = ioasid_area_first(ioas, cur->iova, ULONG_MAX);
			if (area) {
				cur->ioas = ioas;
				cur->iova = area->node.start;
				return area;
			}
			up_read(&ioas->iova_rwsem);
		}
		if (!mappings_next_ioas(cur))
			return NULL;
	}
	cur->end = true;
	return NULL;
}

/* The record after @area, which the cursor stands at. */
static struct ioasid_area *mappings_step(struct mappings_cursor *cur,
					 struct ioasid_area *area)
{
	struct ioasid_area *next = ioasid_area_next(area, 0, ULONG_MAX);

	cur->pos++;
	if (next) {
		cur->iova = next->node.start;
		return next;
	}
	mappings_release_ioas(cur);
	return mappings_next_ioas(cur) ? mappings_find(cur) : NULL;
}

static void *mappings_start(struct seq_file *m, loff_t *pos)
{
	struct mappings_cursor *cur = m->private;
	struct ioasid_area *area;

	down_read(&cur->ctx->views_rwsem);
	/* Reads in sequence resume; a seek walks from the first record. */
	if (*pos != cur->pos || !*pos) {
		cur->ioas_id = 0;
		cur->iova = 0;
		cur->pos = 0;
		cur->end = false;
		area = mappings_find(cur);
		while (area && cur->pos < *pos) {
			area = mappings_step(cur, area);
			cond_resched();
		}
		return area;
	}
	return mappings_find(cur);
}

static void *mappings_next(struct seq_file *m, void *v, loff_t *pos)
{
	struct mappings_cursor *cur = m->private;
	struct ioasid_area *area = mappings_step(cur, v);

	*pos = cur->pos;
	return area;
}

static void mappings_stop(struct seq_file *m, void *v)
{
	struct mappings_cursor *cur = m->private;

	mappings_release_ioas(cur);
	up_read(&cur->ctx->views_rwsem);
}

enum mappings_backing {
	BACKING_NONE,
	BACKING_4K,
	BACKING_THP,
	BACKING_HUGETLB,
	BACKING_MIXED,
};

static const char * const mappings_backing_names[] = {
	[BACKING_NONE] = "none",
	[BACKING_4K] = "4k",
	[BACKING_THP] = "thp",
	[BACKING_HUGETLB] = "hugetlb",
	[BACKING_MIXED] = "mixed",
};

/* Classifies the folio of each contiguous piece; stops once mixed. */
static int mappings_classify(void *arg, unsigned long offset,
			     unsigned long pfn, unsigned long npages)
{
	enum mappings_backing *backing = arg;
	struct folio *folio = pfn_folio(pfn);
	enum mappings_backing this;

	if (folio_test_hugetlb(folio))
		this = BACKING_HUGETLB;
	else if (folio_test_large(folio))
		this = BACKING_THP;
	else
		this = BACKING_4K;
	if (*backing != BACKING_NONE && *backing != this)
		this = BACKING_MIXED;
	*backing = this;
	return this == BACKING_MIXED;
}

static int mappings_show(struct seq_file *m, void *v)
{
	struct mappings_cursor *cur = m->private;
	enum mappings_backing backing = BACKING_NONE;
	struct ioasid_area *area = v;
	struct ioasid_pages *pages = ioasid_area_pages(area);

	/* A mapping being made or removed has no settled frames to show. */
	if (!ioasid_area_live(area))
		return SEQ_SKIP;
	ioasid_area_walk_frames(cur->ioas, area, 0, ioasid_area_npages(area),
				mappings_classify, &backing);
	seq_printf(m, "%lu %#018lx-%#018lx %c%c %lu %s %s\n", cur->ioas_id,
		   area->node.start, area->node.last,
		   area->prot & IOMMU_READ ? 'r' : '-',
		   area->prot & IOMMU_WRITE ? 'w' : '-',
		   area->node.last - area->node.start + 1,
		   mappings_backing_names[backing],
		   pages && kref_read(&pages->kref) > 1 ? "shared" : "private");
	return 0;
}

static const struct seq_operations mappings_sops = {
	.start = mappings_start,
	.next = mappings_next,
	.stop = mappings_stop,
	.show = mappings_show,
};

static int mappings_open(struct inode *inode, struct file *file)
{
	struct mappings_cursor *cur;

	cur = __seq_open_private(file, &mappings_sops, sizeof(*cur));
	if (!cur)
		return -ENOMEM;
	cur->ctx = inode->i_private;
	return 0;
}

static const struct file_operations mappings_fops = {
	.owner = THIS_MODULE,
	.open = mappings_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = seq_release_private,
};

/**
 * ioasid_ctx_debugfs_add() - give a new context its directory
 * @ctx: the context, opened by the current process
 *
 * Like everything in debugfs, the directory is optional: a context whose
 * directory could not be made works all the same.
 */
void ioasid_ctx_debugfs_add(struct ioasid_ctx *ctx)
{
	char name[16];

	ctx->opener = get_task_pid(current, PIDTYPE_TGID);
	get_task_comm(ctx->opener_comm, current);
	snprintf(name, sizeof(name), "%u", ctx->id);
	ctx->debugfs = debugfs_create_dir(name, ioasid_debugfs_root);
	debugfs_create_file("owner", 0400, ctx->debugfs, ctx, &owner_fops);
	debugfs_create_file("mappings", 0400, ctx->debugfs, ctx,
			    &mappings_fops);
}

/**
 * ioasid_ctx_debugfs_remove() - remove a context's directory
 * @ctx: the context, about to be freed
 *
 * Waits for the reads of its files under way, which use @ctx.
 */
void ioasid_ctx_debugfs_remove(struct ioasid_ctx *ctx)
{
	debugfs_remove(ctx->debugfs);
	put_pid(ctx->opener);
}

void ioasid_debugfs_init(void)
{
	ioasid_debugfs_root = debugfs_create_dir("ioasid", NULL);
}

void ioasid_debugfs_exit(void)
{
	debugfs_remove(ioasid_debugfs_root);
}
