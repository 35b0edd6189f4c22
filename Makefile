# SPDX-License-Identifier: GPL-2.0
# Top level: builds the suite against the kernel tree that run.sh (or the
# user, through build/kernel.mk or KSRC=/KHDR=) chose, and runs the checks.

all: selftests bench build/ir-poweroff

selftests:
	$(MAKE) -C selftests OUTPUT=$(CURDIR)/selftests

bench:
	$(MAKE) -C bench

# PID 1 of the guest needs a poweroff that does not ask systemd; built
# for the guest's architecture (CROSS_COMPILE from build/kernel.mk).
-include build/kernel.mk
build/ir-poweroff: scripts/poweroff.c $(wildcard build/kernel.mk)
	@mkdir -p build
	$(CROSS_COMPILE)$(if $(CROSS_COMPILE),gcc,$(CC)) -O2 -Wall -static -o $@ $<

# The kselftest collection, laid out as the kernel's selftests `make
# install` and `gen_tar` lay theirs out: the tree's runner, our collection
# directory (programs, settings, config fragments, the bench), and
# kselftest-list.txt; `./run_kselftest.sh -c iommufd-replace` runs it.
COLLECTION := iommufd-replace
INSTALL_PATH ?= $(CURDIR)/build/kselftest_install
FORMAT ?= .gz
TAR_PATH = $(abspath $(INSTALL_PATH)/kselftest-packages/kselftest.tar$(FORMAT))
KSELFTEST_RUNNER := run_kselftest.sh kselftest/runner.sh kselftest/prefix.pl \
	kselftest/ktap_helpers.sh kselftest/module.sh kselftest/ksft.py

ifneq ($(filter install gen_tar,$(MAKECMDGOALS)),)
TOP := $(CURDIR)
include scripts/kernel-tree.mk
endif

install: selftests
	rm -rf $(INSTALL_PATH)/$(COLLECTION) $(INSTALL_PATH)/kselftest-list.txt
	mkdir -p $(INSTALL_PATH)/kselftest
	@# The runner files the tree under test has (older trees lack some).
	cd $(KSRC)/tools/testing/selftests && for f in $(KSELFTEST_RUNNER); do \
		[ ! -f $$f ] || install -m 744 $$f $(INSTALL_PATH)/$$f || exit; done
	$(MAKE) -C selftests OUTPUT=$(CURDIR)/selftests \
		INSTALL_PATH=$(INSTALL_PATH)/$(COLLECTION) install
	$(MAKE) -s --no-print-directory -C selftests OUTPUT=$(CURDIR)/selftests \
		COLLECTION=$(COLLECTION) emit_tests >$(INSTALL_PATH)/kselftest-list.txt

gen_tar: install
	mkdir -p $(dir $(TAR_PATH))
	@# Whole or not at all; the name of the part keeps its suffix for tar -a.
	@# The same files make the same tarball (names, owners, times fixed).
	tar caf $(dir $(TAR_PATH)).part-$(notdir $(TAR_PATH)) \
		--sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 \
		--exclude=kselftest-packages -C $(INSTALL_PATH) .
	mv $(dir $(TAR_PATH)).part-$(notdir $(TAR_PATH)) $(TAR_PATH)
	@echo "Created $(TAR_PATH)"

# The project's own tests: the guest selftests and the runner's promises.
check:
	./scripts/check.sh

# The checks that need no guest and no kernel build: seconds.
check-quick:
	./scripts/check.sh quick

clean:
	$(MAKE) -C selftests OUTPUT=$(CURDIR)/selftests clean
	$(MAKE) -C bench clean
	rm -f build/ir-poweroff

.PHONY: all selftests bench check check-quick clean install gen_tar
