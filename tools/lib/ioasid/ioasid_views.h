/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libioasid: what a /dev/ioasid context shows of itself, read back and
 * parsed strictly, for the selftests (ioasid_observe, ioasid_fuzz,
 * ioasid_fail_nth): the ioasid- lines of its fdinfo, and the owner and
 * mappings files of its debugfs directory, IOASID_DEBUGFS/<context>/.
 * Built from ioasid_views.c (see libioasid.mk).
 *
 * The parsers take the text as the kernel wrote it, with every line
 * ending in a newline, and refuse anything the interface does not define:
 * an unknown key or token, a line out of its place, a number with a sign,
 * a leading zero or more digits than its type, separators other than
 * those given.  A refusal says which line and why.  What the parsers
 * check of a line and of the lines around it holds at every moment,
 * whatever runs beside the read; what may only hold while nothing
 * changes, such as a device naming a table the fdinfo lists, is left to
 * fdinfo_check() and mappings_ordered().
 */
#ifndef __LIBIOASID_VIEWS_H
#define __LIBIOASID_VIEWS_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define IOASID_DEBUGFS		"/sys/kernel/debug/ioasid"
/* What the parsers answer when they refuse a text. */
#define VIEW_REFUSED		EBADMSG
#define VIEW_NAME_LEN		64	/* a device name, NUL included */
#define VIEW_ERR_LEN		256

enum view_accounting {
	VIEW_ACCOUNT_USER,
	VIEW_ACCOUNT_PROCESS,
};

/* An ioasid-ioas line, and where its ioasid-table lines are. */
struct view_ioas {
	uint32_t id;
	uint64_t mappings;
	uint64_t mapped_bytes;
	uint64_t pinned_bytes;
	uint64_t iova_alignment;
	uint64_t tables;
	uint64_t accesses;
	unsigned int first_table;	/* index in view_fdinfo.tables */
	unsigned int nr_tables;		/* the table lines after it */
};

/* An ioasid-table line; @ioas is the IOASID whose line it follows. */
struct view_table {
	uint32_t id;
	uint32_t ioas;
	uint64_t devices;
	uint32_t coherent;
};

/*
 * An ioasid-device line, and where its ioasid-pasid lines are; @ioas and
 * @table only when @attached.
 */
struct view_device {
	char name[VIEW_NAME_LEN];
	uint32_t id;			/* the binding's, for IOASID_DEVICE_INFO */
	uint32_t dma_owner;
	bool attached;
	uint32_t ioas;
	uint32_t table;
	unsigned int first_pasid;	/* index in view_fdinfo.pasids */
	unsigned int nr_pasids;
};

struct view_pasid {
	char dev[VIEW_NAME_LEN];
	uint32_t pasid;
	uint32_t ioas;
	uint32_t table;
};

/* An ioasid-nested line: a nested IOASID, on @table of IOASID @parent. */
struct view_nested {
	uint32_t id;
	uint32_t parent;
	uint32_t table;
	uint32_t format;
};

/* The ioasid- lines of an fdinfo, in the order they came. */
struct view_fdinfo {
	uint32_t context;
	enum view_accounting accounting;
	uint64_t pinned_bytes;
	unsigned int nr_ioas;
	unsigned int nr_tables;
	unsigned int nr_devices;
	unsigned int nr_pasids;
	unsigned int nr_nested;
	struct view_ioas *ioas;
	struct view_table *tables;
	struct view_device *devices;
	struct view_pasid *pasids;
	struct view_nested *nested;
	char error[VIEW_ERR_LEN];	/* why the text was refused */
};

enum view_backing {
	VIEW_4K,
	VIEW_THP,
	VIEW_HUGETLB,
	VIEW_MIXED,
};

/* A line of the mappings file. */
struct view_mapping {
	uint32_t ioas;
	uint64_t start;
	uint64_t last;
	uint64_t bytes;
	bool read;
	bool write;
	enum view_backing backing;
	bool shared;
};

/*
 * All of what @fd reads from where it is to its end, by read()s of
 * @chunk bytes, NUL-terminated, in a buffer to free(); its length goes to
 * @len when not NULL.  NULL with *@err set when a read fails or memory
 * runs out; the bytes read until then are lost.
 */
char *view_read_fd(int fd, size_t chunk, size_t *len, int *err);

/* view_read_fd() of a file it opens and closes; *@err may be open()'s. */
char *view_read_path(const char *path, size_t chunk, size_t *len, int *err);

/*
 * Parses a whole fdinfo of a /dev/ioasid fd into @fi, which starts zeroed
 * or as an earlier parse left it, and is reset first.  0, or VIEW_REFUSED
 * with @fi->error set, or ENOMEM.  Either way fdinfo_free() releases what
 * @fi holds.
 */
int fdinfo_parse(const char *text, struct view_fdinfo *fi);

/*
 * Reads and parses /proc/@pid/fdinfo/@fd: 0, or the errno of the read, or
 * fdinfo_parse()'s; @fi->error says what failed.
 */
int fdinfo_read(pid_t pid, int fd, struct view_fdinfo *fi);

void fdinfo_free(struct view_fdinfo *fi);

/*
 * Checks what must hold of a parsed fdinfo while nothing changes the
 * context: each IOASID is followed by as many table lines as it counts
 * tables, no table id repeats, each attached requester ID and PASID names
 * an IOASID and one of its tables, and each table counts the attachments
 * through it.  0, or VIEW_REFUSED with @fi->error set.
 */
int fdinfo_check(struct view_fdinfo *fi);

/* The ioasid-ioas line of @id, or NULL. */
const struct view_ioas *fdinfo_ioas(const struct view_fdinfo *fi,
				    uint32_t id);

/* The ioasid-table line of @id, or NULL. */
const struct view_table *fdinfo_table(const struct view_fdinfo *fi,
				      uint32_t id);

/* The first ioasid-device line of @name, or NULL. */
const struct view_device *fdinfo_device(const struct view_fdinfo *fi,
					const char *name);

/* The ioasid-pasid line of @pasid of the device @name, or NULL. */
const struct view_pasid *fdinfo_pasid(const struct view_fdinfo *fi,
				      const char *name, uint32_t pasid);

/*
 * Parses one line of the mappings file, without its newline, into @m.
 * 0, or VIEW_REFUSED with why in @why.
 */
int mapping_parse(const char *line, size_t len, struct view_mapping *m,
		  char *why, size_t why_len);

/*
 * Parses a whole mappings file into an array to free(), NULL when empty,
 * and its count.  0, or VIEW_REFUSED with the line and why in @why, or ENOMEM.
 */
int mappings_parse(const char *text, struct view_mapping **maps, size_t *nr,
		   char *why, size_t why_len);

/*
 * Whether @nr mappings are by IOASID then IOVA, none overlapping another
 * of its IOASID; why not in @why.
 */
bool mappings_ordered(const struct view_mapping *maps, size_t nr, char *why,
		      size_t why_len);

/*
 * Parses the owner file, "pid=<tgid> comm=<comm>\n": 0, or VIEW_REFUSED.
 * @comm gets the command, cut to @comm_len.
 */
int owner_parse(const char *text, pid_t *pid, char *comm, size_t comm_len);

/* The debugfs directory of @context, or a file of it when @file is set. */
void debugfs_path(char *path, size_t size, uint32_t context,
		  const char *file);

#endif /* __LIBIOASID_VIEWS_H */
