/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Tracepoints of /dev/ioasid, under events/ioasid/ in tracefs.  Contexts
 * are named by the number their fdinfo shows (ioasid-context), IOASIDs by
 * their ids, page tables by the number fdinfo shows for them.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM ioasid

#if !defined(_IOASID_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _IOASID_TRACE_H

#include <linux/device.h>
#include <linux/tracepoint.h>

/* A range of an IOAS: a map, with its protection, or an unmap. */
DECLARE_EVENT_CLASS(ioasid_range,
		    TP_PROTO(u32 ctx, u32 ioas, u64 iova, u64 length, u64 arg),
		    TP_ARGS(ctx, ioas, iova, length, arg),
		    TP_STRUCT__entry(__field(u32, ctx)
				     __field(u32, ioas)
				     __field(u64, iova)
				     __field(u64, length)
				     __field(u64, arg)),
		    TP_fast_assign(__entry->ctx = ctx;
				   __entry->ioas = ioas;
				   __entry->iova = iova;
				   __entry->length = length;
				   __entry->arg = arg;),
		    TP_printk("ctx=%u ioas=%u iova=%#llx length=%#llx prot=%#llx",
			      __entry->ctx, __entry->ioas, __entry->iova,
			      __entry->length, __entry->arg)
);

DEFINE_EVENT(ioasid_range, ioasid_map,
	     TP_PROTO(u32 ctx, u32 ioas, u64 iova, u64 length, u64 prot),
	     TP_ARGS(ctx, ioas, iova, length, prot)
);

DEFINE_EVENT_PRINT(ioasid_range, ioasid_unmap,
		   TP_PROTO(u32 ctx, u32 ioas, u64 iova, u64 length,
			    u64 unmapped),
		   TP_ARGS(ctx, ioas, iova, length, unmapped),
		   TP_printk("ctx=%u ioas=%u iova=%#llx length=%#llx unmapped=%#llx",
			     __entry->ctx, __entry->ioas, __entry->iova,
			     __entry->length, __entry->arg)
);

TRACE_EVENT(ioasid_copy,
	    TP_PROTO(u32 ctx, u32 src, u32 dst, u64 src_iova, u64 dst_iova,
		     u64 length),
	    TP_ARGS(ctx, src, dst, src_iova, dst_iova, length),
	    TP_STRUCT__entry(__field(u32, ctx)
			     __field(u32, src)
			     __field(u32, dst)
			     __field(u64, src_iova)
			     __field(u64, dst_iova)
			     __field(u64, length)),
	    TP_fast_assign(__entry->ctx = ctx;
			   __entry->src = src;
			   __entry->dst = dst;
			   __entry->src_iova = src_iova;
			   __entry->dst_iova = dst_iova;
			   __entry->length = length;),
	    TP_printk("ctx=%u src=%u dst=%u src_iova=%#llx dst_iova=%#llx length=%#llx",
		      __entry->ctx, __entry->src, __entry->dst,
		      __entry->src_iova, __entry->dst_iova, __entry->length)
);

DECLARE_EVENT_CLASS(ioasid_pages,
		    TP_PROTO(u32 ctx, unsigned long npages),
		    TP_ARGS(ctx, npages),
		    TP_STRUCT__entry(__field(u32, ctx)
				     __field(unsigned long, npages)),
		    TP_fast_assign(__entry->ctx = ctx;
				   __entry->npages = npages;),
		    TP_printk("ctx=%u npages=%lu", __entry->ctx,
			      __entry->npages)
);

DEFINE_EVENT(ioasid_pages, ioasid_pin,
	     TP_PROTO(u32 ctx, unsigned long npages),
	     TP_ARGS(ctx, npages)
);

DEFINE_EVENT(ioasid_pages, ioasid_unpin,
	     TP_PROTO(u32 ctx, unsigned long npages),
	     TP_ARGS(ctx, npages)
);

TRACE_EVENT(ioasid_bind,
	    TP_PROTO(u32 ctx, struct device *dev, bool dma_owner),
	    TP_ARGS(ctx, dev, dma_owner),
	    TP_STRUCT__entry(__field(u32, ctx)
			     __string(dev, dev_name(dev))
			     __field(bool, dma_owner)),
	    TP_fast_assign(__entry->ctx = ctx;
			   __assign_str(dev);
			   __entry->dma_owner = dma_owner;),
	    TP_printk("ctx=%u dev=%s dma_owner=%d", __entry->ctx,
		      __get_str(dev), __entry->dma_owner)
);

/* A device and a number: unbind from a context, a table made for it. */
DECLARE_EVENT_CLASS(ioasid_device,
		    TP_PROTO(u32 nr, struct device *dev),
		    TP_ARGS(nr, dev),
		    TP_STRUCT__entry(__field(u32, nr)
				     __string(dev, dev_name(dev))),
		    TP_fast_assign(__entry->nr = nr;
				   __assign_str(dev);),
		    TP_printk("ctx=%u dev=%s", __entry->nr, __get_str(dev))
);

DEFINE_EVENT(ioasid_device, ioasid_unbind,
	     TP_PROTO(u32 ctx, struct device *dev),
	     TP_ARGS(ctx, dev)
);

DEFINE_EVENT_PRINT(ioasid_device, ioasid_table_create,
		   TP_PROTO(u32 table, struct device *dev),
		   TP_ARGS(table, dev),
		   TP_printk("table=%u dev=%s", __entry->nr, __get_str(dev))
);

/*
 * Attach, move and detach, of a requester ID or of a PASID: @old_ioas is
 * the IOAS a move came from, 0 for an attach; a detach has none.
 */
DECLARE_EVENT_CLASS(ioasid_attachment,
		    TP_PROTO(u32 ctx, struct device *dev, u32 pasid, u32 ioas,
			     u32 table, u32 old_ioas),
		    TP_ARGS(ctx, dev, pasid, ioas, table, old_ioas),
		    TP_STRUCT__entry(__field(u32, ctx)
				     __string(dev, dev_name(dev))
				     __field(u32, pasid)
				     __field(u32, ioas)
				     __field(u32, table)
				     __field(u32, old_ioas)),
		    TP_fast_assign(__entry->ctx = ctx;
				   __assign_str(dev);
				   __entry->pasid = pasid;
				   __entry->ioas = ioas;
				   __entry->table = table;
				   __entry->old_ioas = old_ioas;),
		    TP_printk("ctx=%u dev=%s pasid=%u ioas=%u table=%u old_ioas=%u",
			      __entry->ctx, __get_str(dev), __entry->pasid,
			      __entry->ioas, __entry->table, __entry->old_ioas)
);

DEFINE_EVENT_PRINT(ioasid_attachment, ioasid_attach,
		   TP_PROTO(u32 ctx, struct device *dev, u32 pasid, u32 ioas,
			    u32 table, u32 old_ioas),
		   TP_ARGS(ctx, dev, pasid, ioas, table, old_ioas),
		   TP_printk("ctx=%u dev=%s ioas=%u table=%u old_ioas=%u",
			     __entry->ctx, __get_str(dev), __entry->ioas,
			     __entry->table, __entry->old_ioas)
);

DEFINE_EVENT_PRINT(ioasid_attachment, ioasid_detach,
		   TP_PROTO(u32 ctx, struct device *dev, u32 pasid, u32 ioas,
			    u32 table, u32 old_ioas),
		   TP_ARGS(ctx, dev, pasid, ioas, table, old_ioas),
		   TP_printk("ctx=%u dev=%s ioas=%u table=%u", __entry->ctx,
			     __get_str(dev), __entry->ioas, __entry->table)
);

DEFINE_EVENT(ioasid_attachment, ioasid_attach_pasid,
	     TP_PROTO(u32 ctx, struct device *dev, u32 pasid, u32 ioas,
		      u32 table, u32 old_ioas),
	     TP_ARGS(ctx, dev, pasid, ioas, table, old_ioas)
);

DEFINE_EVENT_PRINT(ioasid_attachment, ioasid_detach_pasid,
		   TP_PROTO(u32 ctx, struct device *dev, u32 pasid, u32 ioas,
			    u32 table, u32 old_ioas),
		   TP_ARGS(ctx, dev, pasid, ioas, table, old_ioas),
		   TP_printk("ctx=%u dev=%s pasid=%u ioas=%u table=%u",
			     __entry->ctx, __get_str(dev), __entry->pasid,
			     __entry->ioas, __entry->table)
);

TRACE_EVENT(ioasid_table_free,
	    TP_PROTO(u32 table),
	    TP_ARGS(table),
	    TP_STRUCT__entry(__field(u32, table)),
	    TP_fast_assign(__entry->table = table;),
	    TP_printk("table=%u", __entry->table)
);

TRACE_EVENT(ioasid_fault,
	    TP_PROTO(struct device *dev, u32 table, unsigned long iova,
		     int flags),
	    TP_ARGS(dev, table, iova, flags),
	    TP_STRUCT__entry(__string(dev, dev_name(dev))
			     __field(u32, table)
			     __field(unsigned long, iova)
			     __field(int, flags)),
	    TP_fast_assign(__assign_str(dev);
			   __entry->table = table;
			   __entry->iova = iova;
			   __entry->flags = flags;),
	    TP_printk("dev=%s table=%u iova=%#lx flags=%#x", __get_str(dev),
		      __entry->table, __entry->iova, __entry->flags)
);

#endif /* _IOASID_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
