/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmapdemo_trace.h - tracepoints of vmapdemo, trace system "vmapdemo".
 *
 * Enable them in tracefs (events/vmapdemo/); the fields and their meaning
 * are in Documentation/vmapdemo.rst, "Tracepoints". trace.c creates them
 * (CREATE_TRACE_POINTS); zero.c and the store files fire them. The events
 * carry integers only: a store is named by its index, /dev/vmapdemo by
 * %VD_TRACE_ZERO. A disabled event costs a patched-out branch; on the
 * fault paths every argument is a value the caller already has, or a
 * pointer the event only reads while it is enabled.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM vmapdemo

#if !defined(_VMAPDEMO_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _VMAPDEMO_TRACE_H

#include <linux/mm.h>
#include <linux/tracepoint.h>

/* Defined once, however many times define_trace.h reads this header. */
#ifndef _VMAPDEMO_TRACE_TYPES_H
#define _VMAPDEMO_TRACE_TYPES_H

/* The "store" of a vmapdemo_fault event on /dev/vmapdemo. */
#define VD_TRACE_ZERO	(-1)

/* What a fault was, as the handlers count it (faults_read, ...). */
enum vd_trace_fault_kind {
	VD_TRACE_FAULT_READ,	/* a read, private or shared */
	VD_TRACE_FAULT_WRITE,	/* a write on a shared mapping */
	VD_TRACE_FAULT_COW,	/* a write on a private mapping */
};

/* What started a writeback. */
enum vd_trace_wb_reason {
	VD_TRACE_WB_SYNC,	/* VMAPDEMO_STORE_IOC_SYNC with SYNC */
	VD_TRACE_WB_INVALIDATE,	/* VMAPDEMO_STORE_IOC_SYNC with INVALIDATE */
	VD_TRACE_WB_FSYNC,	/* fsync(), fdatasync(), msync(MS_SYNC) */
	VD_TRACE_WB_BACKGROUND,	/* the worker: writeback_age_ms or ASYNC */
};

/*
 * The vm_fault_t bits our handlers return, as plain integers: vm_fault_t
 * is __bitwise, and the tables of TRACE_DEFINE_ENUM() and __print_flags()
 * hold unsigned longs. Any other bit would be printed in hex.
 */
enum vd_trace_fault_result {
	VD_TRACE_OOM	= (__force unsigned int)VM_FAULT_OOM,
	VD_TRACE_SIGBUS	= (__force unsigned int)VM_FAULT_SIGBUS,
	VD_TRACE_MAJOR	= (__force unsigned int)VM_FAULT_MAJOR,
	VD_TRACE_NOPAGE	= (__force unsigned int)VM_FAULT_NOPAGE,
	VD_TRACE_LOCKED	= (__force unsigned int)VM_FAULT_LOCKED,
};

#endif /* _VMAPDEMO_TRACE_TYPES_H */

/* Enum values in TP_printk() must be exported to user space parsers. */
TRACE_DEFINE_ENUM(VD_TRACE_FAULT_READ);
TRACE_DEFINE_ENUM(VD_TRACE_FAULT_WRITE);
TRACE_DEFINE_ENUM(VD_TRACE_FAULT_COW);
TRACE_DEFINE_ENUM(VD_TRACE_WB_SYNC);
TRACE_DEFINE_ENUM(VD_TRACE_WB_INVALIDATE);
TRACE_DEFINE_ENUM(VD_TRACE_WB_FSYNC);
TRACE_DEFINE_ENUM(VD_TRACE_WB_BACKGROUND);
TRACE_DEFINE_ENUM(VD_TRACE_OOM);
TRACE_DEFINE_ENUM(VD_TRACE_SIGBUS);
TRACE_DEFINE_ENUM(VD_TRACE_MAJOR);
TRACE_DEFINE_ENUM(VD_TRACE_NOPAGE);
TRACE_DEFINE_ENUM(VD_TRACE_LOCKED);

/*
 * vmapdemo_fault - a ->fault call and its result; vmapdemo_mkwrite - a
 * store's ->page_mkwrite call and its result (kind is always "write").
 * Fired after the handler, while the fault still holds the VMA, whatever
 * the handler returned. A result of 0 (vmf->page set, not locked) prints
 * as "0".
 */
DECLARE_EVENT_CLASS(vmapdemo_fault_class,
		    TP_PROTO(int store, struct vm_fault *vmf, vm_fault_t result),
		    TP_ARGS(store, vmf, result),
		    TP_STRUCT__entry(__field(pgoff_t, pgoff)
				     __field(int, store)
				     __field(unsigned int, result)
				     __field(u8, kind)
				     __field(u8, shared)),
		    TP_fast_assign(__entry->pgoff = vmf->pgoff;
				   __entry->store = store;
				   __entry->result = (__force unsigned int)result;
				   __entry->kind =
					!(vmf->flags & FAULT_FLAG_WRITE) ?
					VD_TRACE_FAULT_READ :
					(vmf->vma->vm_flags & VM_SHARED) ?
					VD_TRACE_FAULT_WRITE :
					VD_TRACE_FAULT_COW;
				   __entry->shared =
					!!(vmf->vma->vm_flags & VM_MAYSHARE);),
		    TP_printk("store=%d pgoff=%#lx kind=%s map=%s result=%s",
			      __entry->store, __entry->pgoff,
			      __print_symbolic(__entry->kind,
					       { VD_TRACE_FAULT_READ, "read" },
					       { VD_TRACE_FAULT_WRITE, "write" },
					       { VD_TRACE_FAULT_COW, "cow" }),
			      __entry->shared ? "shared" : "private",
			      __entry->result ?
			      __print_flags(__entry->result, "|",
					    { VD_TRACE_OOM, "OOM" },
					    { VD_TRACE_SIGBUS, "SIGBUS" },
					    { VD_TRACE_MAJOR, "MAJOR" },
					    { VD_TRACE_NOPAGE, "NOPAGE" },
					    { VD_TRACE_LOCKED, "LOCKED" }) :
			      "0")
);

DEFINE_EVENT(vmapdemo_fault_class, vmapdemo_fault,
	     TP_PROTO(int store, struct vm_fault *vmf, vm_fault_t result),
	     TP_ARGS(store, vmf, result)
);

DEFINE_EVENT(vmapdemo_fault_class, vmapdemo_mkwrite,
	     TP_PROTO(int store, struct vm_fault *vmf, vm_fault_t result),
	     TP_ARGS(store, vmf, result)
);

/*
 * vmapdemo_writeback - one writeback pass over the pages [first, last] of
 * a store: @ret is the number of pages copied to the backing store, or a
 * negative errno if the pass stopped on an error.
 */
TRACE_EVENT(vmapdemo_writeback,
	    TP_PROTO(unsigned int store, enum vd_trace_wb_reason reason,
		     pgoff_t first, pgoff_t last, long ret),
	    TP_ARGS(store, reason, first, last, ret),
	    TP_STRUCT__entry(__field(pgoff_t, first)
			     __field(pgoff_t, last)
			     __field(unsigned long, pages)
			     __field(unsigned int, store)
			     __field(int, err)
			     __field(u8, reason)),
	    TP_fast_assign(__entry->first = first;
			   __entry->last = last;
			   __entry->pages = ret > 0 ? ret : 0;
			   __entry->store = store;
			   __entry->err = ret < 0 ? ret : 0;
			   __entry->reason = reason;),
	    TP_printk("store=%u reason=%s first=%#lx last=%#lx pages=%lu err=%d",
		      __entry->store,
		      __print_symbolic(__entry->reason,
				       { VD_TRACE_WB_SYNC, "sync" },
				       { VD_TRACE_WB_INVALIDATE, "invalidate" },
				       { VD_TRACE_WB_FSYNC, "fsync" },
				       { VD_TRACE_WB_BACKGROUND, "background" }),
		      __entry->first, __entry->last, __entry->pages,
		      __entry->err)
);

/*
 * vmapdemo_crash - a simulated crash of a store: @dropped dirty pages
 * lost, @crash_gen the store's crash generation after it.
 */
TRACE_EVENT(vmapdemo_crash,
	    TP_PROTO(unsigned int store, unsigned long dropped, u64 crash_gen),
	    TP_ARGS(store, dropped, crash_gen),
	    TP_STRUCT__entry(__field(u64, crash_gen)
			     __field(unsigned long, dropped)
			     __field(unsigned int, store)),
	    TP_fast_assign(__entry->crash_gen = crash_gen;
			   __entry->dropped = dropped;
			   __entry->store = store;),
	    TP_printk("store=%u dropped=%lu crash_gen=%llu",
		      __entry->store, __entry->dropped, __entry->crash_gen)
);

#endif /* _VMAPDEMO_TRACE_H */

/* Outside the guard: define_trace.h reads this header again from here. */
#undef TRACE_INCLUDE_PATH
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_PATH .
#define TRACE_INCLUDE_FILE vmapdemo_trace
#include <trace/define_trace.h>
