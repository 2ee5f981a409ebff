# SPDX-License-Identifier: GPL-2.0
#
# vmapdemo: user-facing Makefile. kbuild reads ./Kbuild instead of this file.
#
#   make                 build module/vmapdemo.ko for the running kernel (or KDIR)
#   make check           build for 6.1, 6.12, 6.12-rt, 7.2 and 7.3, run the
#                        selftests in QEMU on each (7.x from Debian chroots)
#   make check-debug     the selftests on the KASAN/lockdep/kmemleak debug
#                        kernels, 6.12 and 7.3 (DEBUG_KVERS; each built once
#                        into ~/.cache/vmapdemo, ~20 min)
#   make demo            run the narrated demo in the 6.12 test VM
#   make bench           benchmark faults against the kernel's mappings (6.12
#                        VM; BENCH_MODE=icount for deterministic counts)
#   make vm-shell        a shell in the workbench VM: module loaded, host userland
#   make vm-run CMD=...  run CMD in the workbench VM (VM_KERNEL, VM_USER)
#   make selftests       build the selftests for this host, into selftests/
#   make lint            checkpatch, sparse, W=1, coccicheck, uapi, kernel-doc,
#                        man page and rst rendering
#   make install         build, install into /lib/modules/$(KVER)/updates, depmod
#   make modules_install install only (kbuild's target; no depmod)
#   make install-headers install the uapi header into $(PREFIX)/include/linux
#   make dkms-src        copy the DKMS source tree to /usr/src/vmapdemo-$(VERSION)
#   make dkms-check      dkms add/build/install/remove in throwaway trees
#   make deb             build the vmapdemo-dkms and vmapdemo-dev packages
#   make deb-check       install them in a Debian 12 chroot, check DKMS built
#   make keygen          make a MOK key pair (KEY=MOK.priv CERT=MOK.der)
#   make sign            sign module/vmapdemo.ko with KEY and CERT (sign-file)
#   make clean           remove build products (extracts nothing)
#   make help            every target and variable, a line each
#
# KVER (default: KERNELRELEASE as DKMS passes it, else `uname -r`) or KDIR
# select the kernel. DESTDIR stages an install for packaging: the module goes
# to $(DESTDIR)/lib/modules/... (INSTALL_MOD_PATH) and depmod is left to the
# package, the header to $(DESTDIR)$(PREFIX)/include/linux.

KVER ?= $(if $(KERNELRELEASE),$(KERNELRELEASE),$(shell uname -r))
KDIR ?= /lib/modules/$(KVER)/build
KVERS ?= 6.1 6.12 6.12-rt 7.2 7.3
export KVERS

# 6.1 defaults INSTALL_MOD_DIR to "extra" for M= builds, 6.12 to "updates":
# always pass it. kbuild keeps the module's path inside the tree, so the
# result is updates/module/vmapdemo.ko (.ko.xz on 6.12, which compresses).
INSTALL_MOD_DIR ?= updates
INSTALL_MOD_PATH ?= $(DESTDIR)
PREFIX ?= /usr/local
INCLUDEDIR ?= $(PREFIX)/include
INSTALL ?= install
DEPMOD ?= depmod

VERSION := $(shell sed -n \
	's/^\#define[[:space:]]*VMAPDEMO_VERSION[[:space:]]*"\([^"]*\)".*/\1/p' \
	module/vmapdemo.h)
DKMS_SRC ?= $(DESTDIR)/usr/src/vmapdemo-$(VERSION)
# Exactly what a DKMS build needs: no selftests, scripts or build products.
DKMS_FILES = Makefile Kbuild dkms.conf module/Kbuild \
	$(filter-out %.mod.c,$(wildcard module/*.[ch])) $(wildcard uapi/linux/*.h)

# Debian's header packages enable CONFIG_MODULE_SIG_ALL but ship no signing
# key, so modules_install would print SSL errors and carry on unsigned.
# Only try to sign when the kernel tree has its key (a self-built kernel);
# see Documentation/install.rst for signing with your own (MOK) key.
MODINST_ARGS = INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) \
	$(if $(INSTALL_MOD_PATH),INSTALL_MOD_PATH=$(INSTALL_MOD_PATH)) \
	$(if $(wildcard $(KDIR)/certs/signing_key.x509),,CONFIG_MODULE_SIG_ALL=)

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

modules_install:
	$(MAKE) -C $(KDIR) M=$(CURDIR) $(MODINST_ARGS) modules_install

# Debian's headers have no System.map, so kbuild skips depmod: run it here
# for a live install. A staged (DESTDIR) install leaves it to the package.
install: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) $(MODINST_ARGS) modules_install
	$(if $(INSTALL_MOD_PATH),,$(DEPMOD) -a $(KVER))

install-headers:
	$(INSTALL) -d $(DESTDIR)$(INCLUDEDIR)/linux
	$(INSTALL) -m 0644 $(wildcard uapi/linux/*.h) $(DESTDIR)$(INCLUDEDIR)/linux/

headers_install: install-headers

dkms-src:
	@test -n "$(VERSION)" || { echo "no VMAPDEMO_VERSION in module/vmapdemo.h" >&2; exit 1; }
	rm -rf $(DKMS_SRC)
	$(INSTALL) -d $(DKMS_SRC)
	cp --parents $(DKMS_FILES) $(DKMS_SRC)/

dkms-check:
	scripts/dkms-check.sh

# vmapdemo-dkms and vmapdemo-dev .debs in build/deb (scripts/deps.sh deb);
# deb-check installs them into a cached Debian 12 chroot with each kernel's
# headers and checks that DKMS built the module for each.
deb:
	@scripts/deps.sh deb
	scripts/deb.sh

deb-check:
	@scripts/deps.sh deb
	scripts/deb-check.sh

# Cleaning extracts nothing: the selftests' sub-make would need the
# linux-source tree (1.7 GB) only to know the names of its binaries.
SELFTEST_BINS = $(patsubst %.c,%,$(wildcard selftests/vmapdemo_*.c))
clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || \
		find module -name '*.o' -o -name '*.ko' -o -name '*.mod*' -o -name '.*.cmd' | xargs rm -f
	rm -f $(SELFTEST_BINS)
	rm -rf build

deps:
	scripts/deps.sh base

lint:
	scripts/lint.sh

KSFT_DIR ?= $(shell scripts/ksrc.sh)/tools/testing/selftests

selftests:
	$(MAKE) -C selftests KSFT_DIR=$(KSFT_DIR)

check:
	scripts/check.sh

check-debug:
	scripts/check-debug.sh

demo:
	scripts/demo.sh

bench:
	scripts/bench.sh

# The workbench VM: VM_KERNEL (default 6.12) with vmapdemo loaded, the host's
# /usr and /etc read-only over 9p, this tree and the caller's directory
# writable. vm-run runs CMD there as VM_USER (default root) and exits with
# its status: make vm-run CMD='cc -o /tmp/t examples/shared_counter.c && /tmp/t'
# (CMD runs in the directory make was called from: mind make -C. make
# itself exits 2 on any failure; scripts/vm-run.sh -- CMD gives CMD's status.)
VM_CALLER_DIR := $(or $(PWD),$(CURDIR))

# Module signing with your own key (Documentation/install.rst, Secure Boot):
# make keygen makes KEY and CERT once (enroll CERT with mokutil --import);
# make sign signs module/vmapdemo.ko for KVER with the kernel's sign-file
# (KDIR's, and the hash its config names). KO= signs another module as it
# is, without building (make check-debug signs copies of its build).
KEY ?= MOK.priv
CERT ?= MOK.der
KO ?= module/vmapdemo.ko

keygen:
	scripts/sign.sh keygen $(KEY) $(CERT)

sign: $(if $(filter module/vmapdemo.ko,$(KO)),modules)
	scripts/sign.sh sign $(KEY) $(CERT) $(KO) $(KVER) $(KDIR)

vm-shell:
	@scripts/deps.sh base
	@cd "$(VM_CALLER_DIR)" && $(CURDIR)/scripts/vm-run.sh --shell

vm-run:
	@test -n "$$CMD" || { echo "usage: make vm-run CMD='...' [VM_KERNEL=6.1] [VM_USER=nobody]" >&2; exit 2; }
	@scripts/deps.sh base
	@cd "$(VM_CALLER_DIR)" && $(CURDIR)/scripts/vm-run.sh -- "$$CMD"

help:
	@echo 'vmapdemo targets:'
	@echo '  all, modules         build module/vmapdemo.ko for KVER/KDIR (the default)'
	@echo '  modules_install      install the module only (kbuild; no depmod)'
	@echo '  install              build, install into /lib/modules/KVER/updates, depmod'
	@echo '  install-headers      install the uapi header into PREFIX/include/linux'
	@echo '  headers_install      the same as install-headers'
	@echo '  dkms-src             copy the DKMS source tree to /usr/src/vmapdemo-VERSION'
	@echo '  dkms-check           dkms add/build/install/remove in throwaway trees'
	@echo '  deps                 install the base packages (scripts/deps.sh base)'
	@echo '  selftests            build the selftests for this host, into selftests/'
	@echo '  check                the selftests on every kernel of KVERS in QEMU'
	@echo '  check-debug          the selftests on the KASAN/lockdep/kmemleak debug kernels'
	@echo '  demo                 the narrated demo in the 6.12 VM; fails if a claim does not hold'
	@echo '  bench                benchmark faults against the kernel'"'"'s own mappings'
	@echo '  vm-shell             a shell in the workbench VM (host userland over 9p, module loaded)'
	@echo '  vm-run CMD=...       run CMD in the workbench VM as VM_USER; exits with its status'
	@echo '  keygen, sign         make a MOK key pair; sign the module with KEY and CERT'
	@echo '  deb, deb-check       build the vmapdemo-dkms/-dev packages; test them in a chroot'
	@echo '  lint                 checkpatch, sparse, W=1, coccicheck, uapi, kernel-doc, docs'
	@echo '  clean                remove build products (extracts nothing)'
	@echo '  help                 this list'
	@echo 'Variables:'
	@echo '  KVER                 kernel release to build for (default: KERNELRELEASE, else uname -r)'
	@echo '  KDIR                 kernel build tree (default: /lib/modules/KVER/build)'
	@echo '  KVERS                kernels of check, lint, dkms-check (default: "6.1 6.12 6.12-rt 7.2 7.3")'
	@echo '  DEBUG_KVERS          debug kernels of check-debug (default: "6.12 7.3")'
	@echo '  KSFT_DIR             kselftest framework (default: linux-source-6.12, scripts/ksrc.sh)'
	@echo '  DESTDIR              staging root for install and install-headers'
	@echo '  PREFIX, INCLUDEDIR   header location (default: /usr/local, PREFIX/include)'
	@echo '  INSTALL_MOD_DIR      module subdirectory (default: updates)'
	@echo '  INSTALL_MOD_PATH     module install root (default: DESTDIR)'
	@echo '  INSTALL, DEPMOD      the install and depmod programs'
	@echo '  DKMS_SRC             dkms-src destination (default: DESTDIR/usr/src/vmapdemo-VERSION)'
	@echo 'Environment of the VM targets:'
	@echo '  VM_TIMEOUT           guest watchdog in seconds (check 900, check-debug 2400, demo 600)'
	@echo '  VM_APPEND            more kernel command line for check-debug'
	@echo '  VM_KERNEL, VM_USER   kernel (default 6.12) and user (default root) of vm-shell, vm-run'
	@echo '  KEY, CERT            signing key and certificate (default MOK.priv, MOK.der)'
	@echo '  KO                   module sign signs (default module/vmapdemo.ko, built first)'
	@echo '  DEMO_KERNEL          kernel of demo (default 6.12)'
	@echo '  ACCEL                tcg (default, one host thread), mttcg or kvm'
	@echo '  KVM_WATCHDOG         seconds a KVM guest has to boot before TCG takes over (60)'
	@echo '  BENCH_MODE           wall (default) or icount; BENCH_CPU, BENCH_ARGS (scripts/bench.sh)'
	@echo '  VMAPDEMO_CACHE       cache directory (default ~/.cache/vmapdemo)'
	@echo '  VMAPDEMO_JOBS        parallel jobs of the debug kernel build'
	@echo '  VD_STRESS_SECS, VD_TOOLS_SECS, VD_TIMEOUT_SCALE  test bounds (see Documentation/testing.rst)'

.PHONY: all modules modules_install clean deps selftests check check-debug lint demo bench vm-shell vm-run help
.PHONY: install install-headers headers_install dkms-src dkms-check keygen sign deb deb-check
