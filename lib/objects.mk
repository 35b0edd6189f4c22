# SPDX-License-Identifier: GPL-2.0
# The suite's library (lib/*.c), compiled once into IR_LIB_DIR and linked
# into every program of the directory: each of the 18 programs compiling
# all of it again was three quarters of a build of the suite. Needs
# scripts/kernel-tree.mk (LIB_SRCS, LIB_HDRS, IR_CFLAGS, CC) and
# IR_LIB_DIR, set by the Makefile that includes it. (Not lib.mk: the
# kselftest lib.mk takes the directory of the last file of that name
# included for its own.)
IR_LIB_OBJS := $(patsubst $(TOP)/lib/%.c,$(IR_LIB_DIR)/%.o,$(LIB_SRCS))

$(IR_LIB_OBJS): $(IR_LIB_DIR)/%.o: $(TOP)/lib/%.c $(LIB_HDRS) \
		$(wildcard $(TOP)/build/kernel.mk)
	@mkdir -p $(@D)
	$(CC) $(IR_CFLAGS) -c -o $@ $<

# run.sh puts ccache in front (IR_CCACHE, its cache in the kernel cache's
# directory): make check's work trees build the suite again for each
# kernel they boot, and a fresh clone builds it all once more.
ifneq ($(IR_CCACHE),)
CC := $(IR_CCACHE) $(CC)
endif
