// SPDX-License-Identifier: GPL-2.0
/*
 * What the kernel must refuse before a replace can happen, as tables: the
 * HWPT allocations a VMM can get wrong, the ids an attach, a replace or an
 * access's IOAS replace must not take, and the fault queue's reads and
 * writes of the wrong size or from memory that is not there. Each row has
 * the errno the tree's source gives (drivers/iommu/iommufd/hw_pagetable.c,
 * device.c, fault.c or eventq.c, main.c), the same on 6.12 and 7.2; many
 * are the fixes in the stable changelog ("Reject invalid read count in
 * iommufd_fault_fops_read()", "Fix return value of
 * iommufd_fault_fops_write()", "Disallow allocating nested parent domain
 * with fault ID", ...). A refused call leaves nothing behind: every object
 * of the fixture is destroyable at the end, a refused replace leaves the
 * device where it was (fx_replace_fails), and a fault a refused read did
 * not deliver is still there to read.
 *
 * VMM flow: QEMU's iommufd backend and cloud-hypervisor read these errnos
 * (EOPNOTSUPP: try without the flag; EINVAL: incompatible, try another).
 */
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>

#include "fixture.h"

#define BUF_SIZE (4 * ir_page_size())
#define WAIT_MS 2000

/* The objects a row's ids are picked from. */
enum pick {
	P_NONE, /* 0 */
	P_IOAS,
	P_DEV, /* the idev of a device with dirty tracking */
	P_NODIRTY, /* the idev of a device without */
	P_PAGING, /* a paging HWPT that is no nest parent */
	P_PARENT, /* a nest parent */
	P_NESTED, /* a nested HWPT on it */
	P_AUTO, /* the auto domain of the device */
	P_FAULT, /* a fault queue */
	P_UNALIGNED, /* an IOAS whose area sits at a byte offset */
	P_GONE, /* an IOAS, destroyed */
	P_MISSING, /* an id no object ever had */
};

FIXTURE(replace_refusals)
{
	struct ir_fx fx;
	struct ir_mock_dev dev, nd;
	__u32 ids[P_MISSING + 1];
	int fault_fd, access_fd;
	void *no_memory; /* a page that is mapped PROT_NONE */
	void *unaligned_buf; /* P_UNALIGNED's memory */
};

FIXTURE_SETUP(replace_refusals)
{
	struct ir_fx *fx = &self->fx;
	__u32 *ids = self->ids;

	self->fault_fd = self->access_fd = -1;
	self->no_memory = MAP_FAILED;
	self->unaligned_buf = NULL;
	if (!fx_open(_metadata, fx))
		return;
	fx_ioas(_metadata, fx, BUF_SIZE, 0x4e);
	fx_dev(_metadata, fx, fx->ioas_id, 0, &self->dev);
	fx_dev(_metadata, fx, fx->ioas_id, MOCK_FLAGS_DEVICE_NO_DIRTY,
	       &self->nd);
	ids[P_IOAS] = fx->ioas_id;
	ids[P_DEV] = self->dev.idev_id;
	ids[P_NODIRTY] = self->nd.idev_id;
	ids[P_AUTO] = self->dev.hwpt_id;
	fx_hwpt(_metadata, fx, ids[P_DEV], fx->ioas_id, 0, &ids[P_PAGING]);
	fx_hwpt(_metadata, fx, ids[P_DEV], fx->ioas_id,
		IOMMU_HWPT_ALLOC_NEST_PARENT, &ids[P_PARENT]);
	ASSERT_EQ(0, ir_fault_queue_alloc(fx->fd, &ids[P_FAULT],
					  &self->fault_fd));
	/* Fault-capable where both 6.12 and 7.2 allow it: a stage-1. */
	fx_hwpt_nested(_metadata, fx, ids[P_DEV], ids[P_PARENT], ids[P_FAULT],
		       0, &ids[P_NESTED]);
	ASSERT_EQ(0, ir_access_create(fx->fd, fx->ioas_id, 0, &self->access_fd));
	/* No domain can hold an area 64 bytes into a page. */
	ASSERT_EQ(0, ir_ioas_alloc(fx->fd, &ids[P_UNALIGNED]));
	self->unaligned_buf = ir_buf_alloc(2 * ir_page_size(), 0x5a);
	ASSERT_NE(NULL, self->unaligned_buf);
	ASSERT_EQ(0, ir_ioas_map_fixed(fx->fd, ids[P_UNALIGNED],
				       (char *)self->unaligned_buf + 64,
				       ir_page_size(), IOVA + 64));
	/*
	 * Last: the next object made takes the lowest free id, this one. No
	 * row makes one before it uses the id (a refused allocation frees
	 * its object again at once).
	 */
	ASSERT_EQ(0, ir_ioas_alloc(fx->fd, &ids[P_GONE]));
	ASSERT_EQ(0, ir_destroy(fx->fd, ids[P_GONE]));
	ids[P_MISSING] = ids[P_GONE] + 1000;
	self->no_memory = mmap(NULL, ir_page_size(), PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->no_memory);
}

FIXTURE_TEARDOWN(replace_refusals)
{
	if (self->fault_fd >= 0)
		close(self->fault_fd);
	if (self->access_fd >= 0)
		close(self->access_fd);
	if (self->no_memory != MAP_FAILED)
		munmap(self->no_memory, ir_page_size());
	fx_teardown(_metadata, &self->fx);
	if (self->unaligned_buf)
		ir_buf_free(self->unaligned_buf, 2 * ir_page_size());
}

/*
 * Every object the fixture made goes, in order: nothing a refused call did
 * holds a reference (a leaked HWPT would keep the IOAS busy).
 */
static void destroy_all(struct __test_metadata *_metadata,
			FIXTURE_DATA(replace_refusals) *self)
{
	static const enum pick order[] = { P_NESTED, P_PARENT, P_PAGING,
					   P_FAULT };
	int fd = self->fx.fd;
	unsigned int i;

	ASSERT_EQ(0, ir_destroy(fd, self->dev.stdev_id));
	ASSERT_EQ(0, ir_destroy(fd, self->nd.stdev_id));
	/* The queue's file holds it too; the access holds the IOAS. */
	ASSERT_EQ(0, close(self->fault_fd));
	self->fault_fd = -1;
	ASSERT_EQ(0, close(self->access_fd));
	self->access_fd = -1;
	for (i = 0; i < ARRAY_SIZE(order); i++) {
		ASSERT_EQ(0, ir_destroy(fd, self->ids[order[i]]))
		TH_LOG("object %u (pick %d) is still in use",
		       self->ids[order[i]], order[i]);
	}
	ASSERT_EQ(0, ir_destroy(fd, self->fx.ioas_id))
	TH_LOG("the IOAS is still in use after the refusals");
}

/* Stage-1 data for the mock, and bytes past it for a length too long. */
struct selftest_data {
	struct iommu_hwpt_selftest s1;
	__u32 tail;
};

struct alloc_row {
	const char *name;
	enum pick dev, pt, fault;
	__u32 flags, data_type, data_len;
	__u16 reserved;
	/* The command's size field: 0 for sizeof, else these bytes. */
	__u32 size;
	int err;
};

#define SELFTEST IOMMU_HWPT_DATA_SELFTEST
#define S1_LEN sizeof(struct iommu_hwpt_selftest)
/* The least the mock takes (iommu_copy_struct_from_user(..., iotlb)):
 * all of 6.12's struct, half of 7.2's, which added pagetable_type. */
#define S1_MIN (offsetof(struct iommu_hwpt_selftest, iotlb) + sizeof(__u32))

static const struct alloc_row alloc_rows[] = {
	{ "reserved field set", P_DEV, P_IOAS, .reserved = 1,
	  .err = -EOPNOTSUPP },
	{ "size below the minimum", P_DEV, P_IOAS, .size = 8, .err = -EINVAL },
	{ "size past the struct, tail not zero", P_DEV, P_IOAS,
	  .size = sizeof(struct iommu_hwpt_alloc) + 8, .err = -E2BIG },
	{ "no data type, a data length", P_DEV, P_IOAS, .data_len = S1_LEN,
	  .err = -EINVAL },
	{ "a data type, no data length", P_DEV, P_PARENT, .data_type = SELFTEST,
	  .err = -EINVAL },
	{ "dev_id of an IOAS", P_IOAS, P_IOAS, .err = -ENOENT },
	{ "pt_id no object had", P_DEV, P_MISSING, .err = -EINVAL },
	{ "pt_id of a destroyed IOAS", P_DEV, P_GONE, .err = -EINVAL },
	{ "pt_id of a fault queue", P_DEV, P_FAULT, .err = -EINVAL },
	{ "pt_id of a device", P_DEV, P_DEV, .err = -EINVAL },
	{ "pt_id of a nested HWPT", P_DEV, P_NESTED, .data_type = SELFTEST,
	  .data_len = S1_LEN, .err = -EINVAL },
	{ "an unknown flag", P_DEV, P_IOAS, .flags = 1U << 31,
	  .err = -EOPNOTSUPP },
	{ "nest parent with a fault queue", P_DEV, P_IOAS, P_FAULT,
	  IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_FAULT_ID_VALID,
	  .err = -EOPNOTSUPP },
	{ "dirty tracking, device without", P_NODIRTY, P_IOAS,
	  .flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING, .err = -EOPNOTSUPP },
	{ "nested on a HWPT that is no parent", P_DEV, P_PAGING,
	  .data_type = SELFTEST, .data_len = S1_LEN, .err = -EINVAL },
	{ "nested on an auto domain", P_DEV, P_AUTO, .data_type = SELFTEST,
	  .data_len = S1_LEN, .err = -EINVAL },
	{ "nested with dirty tracking", P_DEV, P_PARENT,
	  .flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING, .data_type = SELFTEST,
	  .data_len = S1_LEN, .err = -EOPNOTSUPP },
	{ "nested without data", P_DEV, P_PARENT, .err = -EOPNOTSUPP },
	{ "nested, another driver's data type", P_DEV, P_PARENT,
	  .data_type = IOMMU_HWPT_DATA_VTD_S1, .data_len = S1_LEN,
	  .err = -EOPNOTSUPP },
	{ "nested, data too short", P_DEV, P_PARENT, .data_type = SELFTEST,
	  .data_len = S1_MIN - 1, .err = -EINVAL },
	{ "nested, data longer than the driver's", P_DEV, P_PARENT,
	  .data_type = SELFTEST, .data_len = sizeof(struct selftest_data),
	  .err = -EINVAL },
	{ "nested, fault_id of an IOAS", P_DEV, P_PARENT, P_IOAS,
	  IOMMU_HWPT_FAULT_ID_VALID, SELFTEST, S1_LEN, .err = -ENOENT },
};

TEST_F(replace_refusals, hwpt_alloc)
{
	struct selftest_data data = { .tail = 1 };
	const struct alloc_row *r;
	struct {
		struct iommu_hwpt_alloc cmd;
		__u64 tail;
	} raw;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(alloc_rows); i++) {
		r = &alloc_rows[i];
		memset(&raw, 0, sizeof(raw));
		raw.tail = 1;
		raw.cmd = (struct iommu_hwpt_alloc){
			.size = r->size ?: sizeof(raw.cmd),
			.flags = r->flags,
			.dev_id = self->ids[r->dev],
			.pt_id = self->ids[r->pt],
			.__reserved = r->reserved,
			.data_type = r->data_type,
			.data_len = r->data_len,
			.data_uptr = (uintptr_t)&data,
			.fault_id = self->ids[r->fault],
		};
		EXPECT_EQ(r->err, ir_hwpt_alloc_raw(self->fx.fd, &raw.cmd))
		TH_LOG("IOMMU_HWPT_ALLOC, %s: not refused with %d", r->name,
		       r->err);
	}
	destroy_all(_metadata, self);
}

/* A target an access is not asked onto (the fixture's access pins none). */
#define NOT_ASKED 1

/* An id a device or an access must not be moved onto, and what each says. */
struct target_row {
	enum pick pt;
	int attach_err, replace_err, access_err;
};

static const struct target_row target_rows[] = {
	{ P_MISSING, -ENOENT, -ENOENT, -ENOENT },
	/*
	 * The auto domain an attach or a replace would build there cannot
	 * align to the area (iopt_table_add_domain: the domain is never
	 * added); an access that pins pages cannot either (replace_access's
	 * refused_replace_keeps_ioas_and_pins), and the fixture's does not.
	 */
	{ P_UNALIGNED, -EADDRINUSE, -EADDRINUSE, NOT_ASKED },
	/*
	 * Not attached: the mock's attach makes its device's objects first,
	 * and the first of them takes the destroyed id.
	 */
	{ P_GONE, 0, -ENOENT, -ENOENT },
	{ P_FAULT, -EINVAL, -EINVAL, -ENOENT },
	{ P_DEV, -EINVAL, -EINVAL, -ENOENT },
	/* An access moves between IOASes only, never onto a HWPT. */
	{ P_PAGING, 0, 0, -ENOENT },
};

TEST_F(replace_refusals, wrong_targets)
{
	struct ir_fx *fx = &self->fx;
	const struct target_row *r;
	struct ir_mock_dev extra;
	unsigned int i;
	__u32 word;

	for (i = 0; i < ARRAY_SIZE(target_rows); i++) {
		r = &target_rows[i];
		/* Before an attach: it would take the destroyed id. */
		if (r->access_err != NOT_ASKED) {
			EXPECT_EQ(r->access_err,
				  ir_access_replace_ioas(fx->fd, self->access_fd,
							 self->ids[r->pt]))
			TH_LOG("access onto pick %d: not refused with %d",
			       r->pt, r->access_err);
		}
		if (r->replace_err)
			fx_replace_fails(_metadata, fx, r->replace_err,
					 self->dev.stdev_id, self->ids[r->pt]);
		if (r->attach_err) {
			EXPECT_EQ(r->attach_err,
				  ir_mock_domain(fx->fd, self->ids[r->pt], 0,
						 &extra))
			TH_LOG("attach onto pick %d: not refused with %d",
			       r->pt, r->attach_err);
		}
	}
	/* The access still works through its IOAS, then goes. */
	ASSERT_EQ(0, ir_access_rw(fx->fd, self->access_fd, IOVA, &word,
				  sizeof(word), 0));
	ASSERT_EQ(0x4e4e4e4eU, word);
	fx_assert_on(_metadata, fx, self->dev.stdev_id, self->dev.hwpt_id);
	destroy_all(_metadata, self);
}

/*
 * A read or write of the fault queue: how many bytes, from where, and
 * whether a fault is pending first; for a write, the response it sends.
 */
enum fault_op { OP_READ, OP_PREAD, OP_WRITE };
enum fault_resp { RESP_NONE, RESP_OK, RESP_UNKNOWN_COOKIE, RESP_BAD_CODE, RESP_OK_THEN_BAD };

struct fault_row {
	const char *name;
	enum fault_op op;
	/* Bytes, as a number of records of the op's size plus extra bytes. */
	unsigned int records;
	int extra;
	bool unmapped, pending;
	enum fault_resp resp;
	/* -errno, or records done (>= 0). */
	int ret;
};

static const struct fault_row fault_rows[] = {
	{ "read, one byte short", OP_READ, 1, -1, .pending = true, .ret = -ESPIPE },
	{ "read, one byte over", OP_READ, 1, 1, .pending = true, .ret = -ESPIPE },
	{ "read at an offset", OP_PREAD, 1, 0, .pending = true, .ret = -ESPIPE },
	{ "read of nothing, a fault pending", OP_READ, 0, 0, .pending = true,
	  .ret = -EINVAL },
	{ "read of nothing, none pending", OP_READ, 0, 0, .ret = 0 },
	{ "read into unmapped memory", OP_READ, 1, 0, .unmapped = true,
	  .pending = true, .ret = -EFAULT },
	{ "read of four, one pending", OP_READ, 4, 0, .pending = true, .ret = 1 },
	{ "write, one byte short", OP_WRITE, 1, -1, .resp = RESP_OK, .ret = -ESPIPE },
	{ "write, one byte over", OP_WRITE, 1, 1, .resp = RESP_OK, .ret = -ESPIPE },
	{ "write from unmapped memory", OP_WRITE, 1, 0, .unmapped = true,
	  .resp = RESP_OK, .ret = -EFAULT },
	{ "write, a cookie never read", OP_WRITE, 1, 0, .resp = RESP_UNKNOWN_COOKIE,
	  .ret = -EINVAL },
	{ "write, an unknown response code", OP_WRITE, 1, 0, .resp = RESP_BAD_CODE,
	  .ret = -EINVAL },
	{ "write of two, the second refused", OP_WRITE, 2, 0,
	  .resp = RESP_OK_THEN_BAD, .ret = 1 },
};

/* Reads the pending fault (none: -ETIMEDOUT) and answers it if @answer. */
static int take_fault(int fault_fd, bool answer, __u32 *cookie, int wait_ms)
{
	struct iommu_hwpt_pgfault f;
	int rc = ir_fault_read(fault_fd, &f, wait_ms);

	if (rc)
		return rc;
	*cookie = f.cookie;
	return answer ? ir_fault_respond(fault_fd, f.cookie,
					 IOMMUFD_PAGE_RESP_SUCCESS) :
			0;
}

/* What row @r writes: responses for @cookie in the row's way. */
static void fill_responses(const struct fault_row *r, __u32 cookie,
			   struct iommu_hwpt_page_response *resp)
{
	resp[0] = (struct iommu_hwpt_page_response){
		.cookie = cookie,
		.code = IOMMUFD_PAGE_RESP_SUCCESS,
	};
	resp[1] = resp[0];
	if (r->resp == RESP_UNKNOWN_COOKIE)
		resp[0].cookie = cookie + 1000;
	else if (r->resp == RESP_BAD_CODE)
		resp[0].code = 99;
	else if (r->resp == RESP_OK_THEN_BAD)
		resp[1].cookie = cookie + 1000;
}

static ssize_t fault_io(const struct fault_row *r, int fault_fd, void *mem,
			size_t len)
{
	switch (r->op) {
	case OP_READ:
		return read(fault_fd, mem, len);
	case OP_PREAD:
		return pread(fault_fd, mem, len, 8);
	default:
		return write(fault_fd, mem, len);
	}
}

/* One row: its call, its result, and the queue clean again after it. */
static void fault_row_run(struct __test_metadata *_metadata,
			  FIXTURE_DATA(replace_refusals) *self,
			  const struct fault_row *r)
{
	struct iommu_hwpt_page_response resp[2];
	struct iommu_hwpt_pgfault faults[4];
	size_t size = r->op == OP_WRITE ? sizeof(resp[0]) : sizeof(faults[0]);
	size_t len = r->records * size + r->extra;
	void *mem = r->op == OP_WRITE ? (void *)resp : (void *)faults;
	__u32 cookie = 0;
	ssize_t n, want;
	int err;

	if (r->pending || r->resp != RESP_NONE)
		ASSERT_EQ(0, ir_trigger_iopf(self->fx.fd, self->dev.idev_id, 0,
					     1, FAULT_ADDR));
	if (r->resp != RESP_NONE) {
		ASSERT_EQ(0, take_fault(self->fault_fd, false, &cookie,
					WAIT_MS));
		fill_responses(r, cookie, resp);
	} else if (r->pending) {
		/* Delivered to the queue before the row's read. */
		struct pollfd pfd = { .fd = self->fault_fd, .events = POLLIN };

		ASSERT_EQ(1, poll(&pfd, 1, WAIT_MS));
	}
	n = fault_io(r, self->fault_fd, r->unmapped ? self->no_memory : mem,
		     len);
	err = n < 0 ? errno : 0;
	want = r->ret < 0 ? -1 : (ssize_t)(r->ret * size);
	EXPECT_EQ(want, n)
	TH_LOG("fault queue, %s: returned %zd, not %zd", r->name, n, want);
	if (r->ret < 0)
		EXPECT_EQ(-r->ret, err)
		TH_LOG("fault queue, %s: errno %d, not %d", r->name, err,
		       -r->ret);
	if (r->op == OP_WRITE) {
		/* Refused, the response answered nothing: the fault waits. */
		if (r->ret <= 0)
			ASSERT_EQ(0, ir_fault_respond(self->fault_fd, cookie,
						      IOMMUFD_PAGE_RESP_SUCCESS))
			TH_LOG("fault queue, %s: the refused write answered the fault",
			       r->name);
	} else if (r->ret > 0) {
		ASSERT_EQ(0, ir_fault_respond(self->fault_fd, faults[0].cookie,
					      IOMMUFD_PAGE_RESP_SUCCESS));
	} else if (r->pending) {
		/* A refused read delivered nothing: the fault is still there. */
		ASSERT_EQ(0, take_fault(self->fault_fd, true, &cookie, WAIT_MS))
		TH_LOG("fault queue, %s: the fault was lost", r->name);
	}
	/* Nothing left over for the next row. */
	ASSERT_EQ(-ETIMEDOUT, take_fault(self->fault_fd, true, &cookie, 0));
}

TEST_F(replace_refusals, fault_queue_io)
{
	struct ir_fx *fx = &self->fx;
	unsigned int i;

	/* The device's faults go to the queue of the stage-1 it is on. */
	fx_replace(_metadata, fx, self->dev.stdev_id, self->ids[P_NESTED],
		   NULL);
	for (i = 0; i < ARRAY_SIZE(fault_rows); i++)
		fault_row_run(_metadata, self, &fault_rows[i]);
	fx_replace(_metadata, fx, self->dev.stdev_id, self->ids[P_PAGING],
		   NULL);
}

TEST_HARNESS_MAIN
