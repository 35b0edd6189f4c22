# SPDX-License-Identifier: GPL-2.0
# Top level: builds the suite against the kernel tree that run.sh (or the
# user, through build/kernel.mk or KSRC=/KHDR=) chose, and runs the checks.

all: selftests bench build/ir-poweroff

selftests:
	$(MAKE) -C selftests OUTPUT=$(CURDIR)/selftests

bench:
	$(MAKE) -C bench

# PID 1 of the guest needs a poweroff that does not ask systemd.
build/ir-poweroff: scripts/poweroff.c
	@mkdir -p build
	$(CC) -O2 -Wall -static -o $@ $<

# The project's own tests: the guest selftests and the runner's promises.
check:
	./scripts/check.sh

clean:
	$(MAKE) -C selftests OUTPUT=$(CURDIR)/selftests clean
	$(MAKE) -C bench clean
	rm -f build/ir-poweroff

.PHONY: all selftests bench check clean
