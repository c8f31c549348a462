# SPDX-License-Identifier: GPL-2.0-only
#
# libioasid: the helpers the ioasid selftests and tools/ioasid share,
# compiled once per output directory and linked into every program.
# Included by tools/testing/selftests/ioasid/Makefile (before lib.mk, so
# that LOCAL_HDRS can take $(LIBIOASID_HDRS)) and tools/ioasid/Makefile,
# which add $(LIBIOASID_OBJS) to their programs' prerequisites and
# $(LIBIOASID_CFLAGS) to their CFLAGS.  Programs include "ioasid_utils.h",
# "edu_vfio.h", "mdma_vfio.h", "ioasid_views.h", "host_program.h" and
# "vdpa_net.h".

LIBIOASID_DIR := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
# Where lib.mk puts the programs when OUTPUT is not given: the current
# directory.
LIBIOASID_OUT ?= $(if $(OUTPUT),$(OUTPUT),$(CURDIR))/libioasid
LIBIOASID_C := ioasid_utils.c edu_vfio.c mdma_vfio.c ioasid_views.c \
	       host_program.c vdpa_net.c
LIBIOASID_OBJS := $(patsubst %.c,$(LIBIOASID_OUT)/%.o,$(LIBIOASID_C))
LIBIOASID_CFLAGS := -I$(LIBIOASID_DIR)
# ioasid_utils.h alone includes the test-only ioctl's header.
LIBIOASID_HDRS := $(LIBIOASID_DIR)/ioasid_utils.h \
		  $(LIBIOASID_DIR)/edu_vfio.h \
		  $(LIBIOASID_DIR)/mdma_vfio.h \
		  $(LIBIOASID_DIR)/ioasid_views.h \
		  $(LIBIOASID_DIR)/host_program.h \
		  $(LIBIOASID_DIR)/vdpa_net.h \
		  $(abspath $(LIBIOASID_DIR)/../../../drivers/iommu/ioasid/ioasid_test.h)

$(LIBIOASID_OUT)/%.o: $(LIBIOASID_DIR)/%.c $(LIBIOASID_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<
