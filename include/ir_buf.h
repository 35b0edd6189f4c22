/* SPDX-License-Identifier: GPL-2.0 */
/* User memory that tests map into an IOAS. */
#ifndef IR_BUF_H
#define IR_BUF_H

#include <stddef.h>
#include <linux/types.h>

/*
 * @length bytes of small, populated pages (MD_CHECK_REFS only counts pins
 * on small pages), each byte @fill. NULL on failure.
 */
void *ir_buf_alloc(size_t length, int fill);
/*
 * @length bytes (a multiple of the THP size) aligned to and advised for
 * transparent huge pages, each byte @fill; whether THP backed them,
 * ir_anon_huge_kib() tells. NULL on failure or without THP.
 */
void *ir_buf_alloc_thp(size_t length, int fill);
/* @length bytes of a new memfd (*@mfd), mapped shared, each byte @fill. */
void *ir_buf_memfd(size_t length, int fill, int *mfd);
/* This process's memory in transparent huge pages, in KiB; -1 unknown. */
long ir_anon_huge_kib(void);
/*
 * What iommufd (and every other pinner) has pinned of this process's
 * memory (VmPin: mm->pinned_vm), in KiB; -1 unknown. It counts a huge page's
 * pins, which MD_CHECK_REFS skips.
 */
long ir_pinned_kib(void);
void ir_buf_free(void *buf, size_t length);
/* 0 when every byte of @buf is @fill, else the 1-based index of the first other. */
size_t ir_buf_differs(const void *buf, size_t length, int fill);
/*
 * Whether no iommufd pins @buf any more, asked through a fresh iommufd:
 * 0, or -errno (-EIO: still pinned).
 */
int ir_buf_check_unpinned(void *buf, size_t length);
/* The same check, then the buffer is freed whatever it found. */
int ir_buf_release(void *buf, size_t length);

/*
 * A new IOAS with a new buffer of @length bytes of @fill mapped at @iova:
 * what nearly every test starts from. 0 or -errno.
 */
int ir_ioas_alloc_mapped(int fd, size_t length, int fill, __u64 iova,
			 __u32 *ioas_id, void **buf);

/*
 * Maps @length bytes of @buf at @iova of IOAS @ioas_id as @areas areas of
 * equal size, one IOAS_MAP each: the kernel then never maps across two of
 * them with one page-table entry. 0 or -errno.
 */
int ir_ioas_map_areas(int fd, __u32 ioas_id, void *buf, size_t length,
		      unsigned int areas, __u64 iova);

#endif /* IR_BUF_H */
