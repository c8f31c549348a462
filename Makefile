# SPDX-License-Identifier: GPL-2.0
#
# Build driver for the /dev/ioasid kernel-tree overlay.
#
# The base tree is the source tarball of Debian's linux-source-6.12 package.
# It is unpacked once under $(BUILD), the series in patches/ is applied in
# order, and our files are copied over it on every invocation so that edits
# are picked up without unpacking again.
#
#   make run     boot the VT-d target and run the /dev/ioasid demo
#   make check   the kselftests on every QEMU target, KUnit in the x86
#                and arm64 kernels, and check-notest

TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
BUILD ?= $(TOP)/build
SRC := $(BUILD)/linux
LINUX_TARBALL ?= /usr/src/linux-source-6.12.tar.xz
QEMU_DIR := tools/testing/selftests/ioasid/qemu
HARNESS := $(MAKE) --no-print-directory -C $(SRC)/$(QEMU_DIR) BUILD=$(BUILD)

# Everything of ours that lives inside the kernel tree.  Directories are
# mirrored (files we delete disappear from the tree too); files are copied.
OVERLAY_DIRS := drivers/iommu/ioasid tools/testing/selftests/ioasid tools/ioasid \
		tools/lib/ioasid
OVERLAY_FILES := include/uapi/linux/ioasid.h include/linux/ioasid.h \
		 include/linux/ioasid_mock.h samples/vfio-mdev/mdma.c \
		 Documentation/userspace-api/ioasid.rst \
		 Documentation/driver-api/ioasid.rst
PATCHES := $(sort $(wildcard $(TOP)/patches/*.patch))

QEMU_TARGETS := vtd virtio smmuv3

SERIES := python3 $(TOP)/series/series.py
SERIES_OUT := $(BUILD)/series

export CCACHE_BASEDIR := $(BUILD)
export KBUILD_BUILD_TIMESTAMP := 2021-05-17
export KBUILD_BUILD_USER := ioasid
export KBUILD_BUILD_HOST := ioasid

.PHONY: all run check kunit fuzz bench profile type1-baseline deps tree \
	overlay clean distclean check-notest check-series series \
	series-verify series-check \
	$(addprefix check-,$(QEMU_TARGETS))

all: check

deps:
	@$(TOP)/$(QEMU_DIR)/install-deps.sh

# Unpack the base tree and apply the series.  The stamp records the series
# and the tarball, so changing either rebuilds the tree from scratch.
$(BUILD)/.tree-stamp: $(LINUX_TARBALL) $(PATCHES)
	rm -rf $(SRC) $(SRC).tmp
	mkdir -p $(SRC).tmp
	tar -xf $(LINUX_TARBALL) -C $(SRC).tmp --strip-components=1
	@set -e; for p in $(PATCHES); do \
		echo "  PATCH   $$(basename $$p)"; \
		if ! out=$$(patch -d $(SRC).tmp -p1 -N --no-backup-if-mismatch -r - < $$p 2>&1); then \
			echo "$$out" >&2; \
			echo "error: $$(basename $$p) does not apply to $$(cat $(SRC).tmp/Makefile | sed -n 's/^\(VERSION\|PATCHLEVEL\|SUBLEVEL\) = //p' | paste -sd.)" >&2; \
			exit 1; \
		fi; \
	done
	mv $(SRC).tmp $(SRC)
	touch $@

$(LINUX_TARBALL):
	@echo "error: $@ missing; apt-get install linux-source-6.12" >&2; exit 1

tree: deps
	@$(MAKE) --no-print-directory $(BUILD)/.tree-stamp
	@$(MAKE) --no-print-directory overlay
	@printf '  BASE    linux %s (%s)\n' \
		"$$(sed -n 's/^\(VERSION\|PATCHLEVEL\|SUBLEVEL\) = //p' $(SRC)/Makefile | paste -sd.)" \
		"$$(dpkg-query -W -f='$${Version}' linux-source-6.12 2>/dev/null)"

# Files are compared by content and copied with a new mtime, so that an
# edit made while a build ran is never older than that build's objects.
RSYNC := rsync -rlpD --checksum

overlay:
	@cd $(TOP) && for d in $(OVERLAY_DIRS); do \
		mkdir -p $(SRC)/$$d && $(RSYNC) --delete $$d/ $(SRC)/$$d/ || exit 1; \
	done
	@cd $(TOP) && $(RSYNC) -R $(OVERLAY_FILES) $(SRC)/
	@$(SERIES) maintainers $(TOP)/MAINTAINERS $(SRC)/MAINTAINERS

# The overlay as a patch series against the base: build/series/patches/,
# for git am on the tarball imported as a commit (build/series/git, tag
# series-base).  series/steps says what each patch holds.
series: tree
	@$(SERIES) make --top $(TOP) --tarball $(LINUX_TARBALL) --out $(SERIES_OUT) \
		--dirs "$(OVERLAY_DIRS)" --files "$(OVERLAY_FILES)"

# The series applies with git am and equals the overlay build.
series-verify: series
	@$(SERIES) verify --out $(SERIES_OUT) --tree $(SRC)

# Every patch of the series built for x86_64 and arm64 (kernel, headers,
# and the selftests and tools once they exist), checkpatch --strict on
# each, and each new file in MAINTAINERS at its patch.  Not part of check:
# build/series/check.log says how long it took.
series-check: series
	@$(TOP)/series/check.sh $(SERIES_OUT) $(TOP)/$(QEMU_DIR) $(TOP)/MAINTAINERS

kunit: tree
	@$(HARNESS) kunit

# drivers/iommu/ioasid/ built with CONFIG_DEV_IOASID_TEST=n, checked for
# anything that only tests use (check-notest.sh says what is checked);
# part of check: under a minute with a warm ccache, seconds after that.
check-notest: tree
	@$(HARNESS) notest

$(addprefix check-,$(QEMU_TARGETS)): check-%: tree
	@$(HARNESS) TARGET=$* check

# series-verify as one of check's results; its output is in series.log.
check-series: tree
	@mkdir -p $(BUILD)/results
	@if $(MAKE) --no-print-directory series-verify >$(BUILD)/results/series.log 2>&1; \
	then $(TOP)/$(QEMU_DIR)/record-result.sh $(BUILD)/results/series.result \
		series 1 0 0 ""; \
	else grep -v '^  ' $(BUILD)/results/series.log | tail -5; \
		echo "FAIL series: make series-verify"; \
		$(TOP)/$(QEMU_DIR)/record-result.sh $(BUILD)/results/series.result \
		series 0 1 0 "see series.log"; fi

# Every target runs even when an earlier one fails; the summary decides.
# series-verify builds no kernel: it runs beside notest and the first
# kernel build, and ends before the first boot, whose timing it would
# disturb.  TIME lines give each step's wall time, a target's with what
# is left of its build.
TIMED := $(TOP)/$(QEMU_DIR)/timed.sh
check: tree
	@mkdir -p $(BUILD)/results
	@rm -f $(BUILD)/results/*.result
	@-$(TIMED) harness $(TOP)/$(QEMU_DIR)/check-log-test.sh \
		$(BUILD)/results/harness.result $(SRC)
	@-$(TIMED) series $(MAKE) --no-print-directory check-series \
		>$(BUILD)/results/series.out 2>&1 & \
	$(TIMED) notest $(HARNESS) notest; \
	$(TIMED) build-x86_64 sh -c '$(HARNESS) TARGET=vtd guest >/dev/null'; \
	wait; cat $(BUILD)/results/series.out
	@-for t in $(QEMU_TARGETS); do $(TIMED) $$t $(HARNESS) TARGET=$$t check; done
	@$(TOP)/$(QEMU_DIR)/summarize.sh $(BUILD)/results harness notest series \
		kunit-x86_64 vtd virtio kunit-arm64 smmuv3

run: tree
	@$(HARNESS) TARGET=vtd demo

# ioasid-bench on every QEMU target, on kernels without debug options and
# with VFIO's own type1 container, the baseline of the type1 rows; each
# target's table is in build/results/bench-<target>.txt.  A second boot
# of each, of a kernel with /dev/ioasid's container, times that on the
# same type1 path: build/results/bench-<target>-compat.txt compares them.
bench: tree
	@-for t in $(QEMU_TARGETS); do \
		$(HARNESS) TARGET=$$t bench-compat; done
	@$(TOP)/$(QEMU_DIR)/summarize.sh $(BUILD)/results \
		$(foreach t,$(QEMU_TARGETS),bench-$(t) bench-$(t)-container)

# The bulk workloads once each under the ftrace function profiler, on
# kernels built for it; PROFILE_TESTS picks other workloads.  Each
# target's profiles are in build/results/profile-<target>.txt.
profile: tree
	@-for t in $(QEMU_TARGETS); do \
		$(HARNESS) TARGET=$$t PROFILE=1 CONTAINER=type1 bench; done
	@$(TOP)/$(QEMU_DIR)/summarize.sh $(BUILD)/results \
		$(addprefix profile-,$(QEMU_TARGETS))

# The tests of unmodified clients, DPDK's testpmd and QEMU, on VFIO's own
# type1 container, in the kernels of the bench target: the baseline of what
# check runs on ours.  The logs are build/results/clients-<target>-type1.log.
type1-baseline: tree
	@-for t in $(QEMU_TARGETS); do \
		$(HARNESS) TARGET=$$t DEBUG=0 CONTAINER=type1 clients; done

# A longer random-ioctl campaign on the debug x86 kernel; FUZZ_SECONDS
# and FUZZ_SEED pass through.
fuzz: tree
	@$(HARNESS) TARGET=vtd fuzz

clean:
	rm -rf $(BUILD)/kernel-* $(BUILD)/kunit $(BUILD)/guest-* $(BUILD)/results

distclean:
	rm -rf $(BUILD)
