# SPDX-License-Identifier: GPL-2.0
#
# vmapdemo: user-facing Makefile. kbuild reads ./Kbuild instead of this file.
#
#   make                 build module/vmapdemo.ko for the running kernel (or KDIR)
#   make check           build for 6.1 and 6.12, run the selftests in QEMU
#   make demo            run the narrated demo in the 6.12 test VM
#   make bench           benchmark faults against the kernel's mappings (6.12
#                        VM; BENCH_MODE=icount for deterministic counts)
#   make vm-shell        a shell in the test VM with the module loaded
#   make selftests       build the selftests for this host
#   make modules_install install into /lib/modules/$(KVER)/updates
#   make clean

KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
KVERS ?= 6.1 6.12
INSTALL_MOD_DIR ?= updates
export KVERS

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

modules_install:
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) modules_install

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || \
		find module -name '*.o' -o -name '*.ko' -o -name '*.mod*' -o -name '.*.cmd' | xargs rm -f
	-$(MAKE) -s -C selftests clean KSFT_DIR=$(KSFT_DIR) 2>/dev/null
	rm -rf build

deps:
	scripts/deps.sh base

KSFT_DIR ?= $(shell scripts/ksrc.sh)/tools/testing/selftests

selftests:
	$(MAKE) -C selftests KSFT_DIR=$(KSFT_DIR)

check:
	scripts/check.sh

demo:
	scripts/demo.sh

bench:
	scripts/bench.sh

vm-shell:
	@scripts/deps.sh base
	@ko=$$(scripts/build-module.sh $$(scripts/kernels.sh $${VM_KERNEL:-6.12}) | tail -n 1) && \
	mkdir -p build/selftests && $(MAKE) -s -C selftests KSFT_DIR=$(KSFT_DIR) OUTPUT=$(CURDIR)/build/selftests USERLDFLAGS=-static && \
	scripts/vm.sh --kernel $$(scripts/kernels.sh $${VM_KERNEL:-6.12}) --mode shell \
		--ko $$ko --tests build/selftests

.PHONY: all modules modules_install clean deps selftests check demo bench vm-shell
