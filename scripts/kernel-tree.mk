# SPDX-License-Identifier: GPL-2.0
# Where the kernel tree under test is, for every Makefile of the suite:
#   KSRC  the kernel source tree (iommufd_test.h, kselftest_harness.h, lib.mk)
#   KHDR  its installed uapi headers (`make headers_install`), default
#         $(KSRC)/usr/include
# run.sh writes both into build/kernel.mk; set them yourself to test a
# kernel natively. Needs TOP, the suite's top directory.
-include $(TOP)/build/kernel.mk

ifeq ($(KSRC),)
$(error KSRC is not set: run ./run.sh build once, or pass KSRC=<kernel tree> KHDR=<installed uapi headers>)
endif
ifeq ($(wildcard $(KSRC)/tools/testing/selftests/lib.mk),)
$(error KSRC=$(KSRC) has no tools/testing/selftests/lib.mk: not a kernel tree)
endif
KHDR ?= $(KSRC)/usr/include
ifeq ($(wildcard $(KHDR)/linux/iommufd.h),)
$(error KHDR=$(KHDR) has no linux/iommufd.h: run `make headers_install` in the kernel tree, or pass KHDR=)
endif

LIB_SRCS := $(wildcard $(TOP)/lib/*.c)
LIB_HDRS := $(wildcard $(TOP)/include/*.h $(TOP)/lib/*.h) \
	    $(KSRC)/drivers/iommu/iommufd/iommufd_test.h
IR_CFLAGS := -Wall -O2 -g -isystem $(KHDR) -I$(TOP)/include \
	     -I$(KSRC)/drivers/iommu/iommufd
# A cross build (run.sh --arch arm64 writes CROSS_COMPILE and IR_SYSROOT
# into build/kernel.mk): the cross compiler, with the target's Debian tree
# as its sysroot (libc, liburing and libnuma of the target's packages:
# scripts/target-root.sh; the tree's uapi headers, -isystem KHDR, still
# come first), linked statically so that the binaries need nothing from
# the guest's root.
ifneq ($(CROSS_COMPILE),)
CC := $(CROSS_COMPILE)gcc
IR_CFLAGS += --sysroot=$(IR_SYSROOT)
IR_LDFLAGS := -static
endif

# Features newer than some trees: built only where the tree's headers have
# them, probed at run time, and SKIPped with the reason otherwise.
ifneq ($(shell grep -qs IOMMU_TEST_OP_PASID_CHECK_HWPT $(KSRC)/drivers/iommu/iommufd/iommufd_test.h && \
	       grep -qs IOMMU_HWPT_ALLOC_PASID $(KHDR)/linux/iommufd.h && echo y),)
IR_CFLAGS += -DIR_HAVE_PASID
endif

# Huge IO pages: a mock device flag up to Linux 6.17 or so, a page-table
# type of each HWPT (iommu_hwpt_selftest.pagetable_type) after it; a tree
# may have either, and lib/mock.c asks for huge pages the tree's way.
IR_TEST_H := $(KSRC)/drivers/iommu/iommufd/iommufd_test.h
ifneq ($(shell grep -qs MOCK_FLAGS_DEVICE_HUGE_IOVA $(IR_TEST_H) && echo y),)
IR_CFLAGS += -DIR_HAVE_HUGE_IOVA_DEV
endif
ifneq ($(shell grep -qs MOCK_IOMMUPT_HUGE $(IR_TEST_H) && echo y),)
IR_CFLAGS += -DIR_HAVE_IOMMUPT
endif
# dma-buf areas (IOMMU_IOAS_MAP_FILE of a dma-buf), with the mock's
# exporter and its revoke (Linux 6.19 or so).
ifneq ($(shell grep -qs IOMMU_TEST_OP_DMABUF_REVOKE $(IR_TEST_H) && echo y),)
IR_CFLAGS += -DIR_HAVE_DMABUF
endif
# A mock device bound and never attached (newer than 7.2).
ifneq ($(shell grep -qs MOCK_FLAGS_DEVICE_NO_ATTACH $(IR_TEST_H) && echo y),)
IR_CFLAGS += -DIR_HAVE_NO_ATTACH
endif
# vIOMMU event queues, with the mock's event trigger (Linux 6.15 or so).
ifneq ($(shell grep -qs IOMMU_TEST_OP_TRIGGER_VEVENT $(IR_TEST_H) && \
	       grep -qs IOMMU_VEVENTQ_ALLOC $(KHDR)/linux/iommufd.h && echo y),)
IR_CFLAGS += -DIR_HAVE_VEVENTQ
endif
