# Builds and installs IronWal's C library the way C libraries are installed.
#
#   make                     build the release library for installation (below)
#   make install             install it under PREFIX, building it first if it is
#                            missing or older than the sources (so `make && sudo make
#                            install` compiles as you and only copies as root; give
#                            both the same CARGO_TARGET_DIR and FEATURES)
#   make uninstall           remove what `make install` installed (give it the same
#                            PREFIX, LIBDIR, INCLUDEDIR, PKGCONFIGDIR and DESTDIR)
#   make clean               remove the installation build (CARGO_TARGET_DIR/capi)
#
# Then build a program with pkg-config (tests/install.rs does exactly this):
#
#   cc app.c $(pkg-config --cflags --libs ironwal) -o app
#   cc app.c $(pkg-config --cflags ironwal) \
#       $(pkg-config --static --libs ironwal | sed 's/-lironwal/-l:libironwal.a/') -o app
#
# The second links libironwal.a: LIBDIR holds libironwal.so too, which a plain
# -lironwal would pick; `--static` adds the system libraries (Libs.private).
#
# Variables:
#   PREFIX        /usr/local
#   LIBDIR        $(PREFIX)/lib            e.g. $(PREFIX)/lib/x86_64-linux-gnu
#   INCLUDEDIR    $(PREFIX)/include
#   PKGCONFIGDIR  $(LIBDIR)/pkgconfig
#   DESTDIR       (empty) a staging root put in front of every installed path; the
#                 paths written into ironwal.pc leave it out (for packagers)
#   CARGO         cargo
#   CARGO_TARGET_DIR  <this directory>/target; the installation build has its own
#                 directory below it, $(CARGO_TARGET_DIR)/capi
#   FEATURES      sharded: the Cargo features to build with (the C library exports the
#                 sharded API whatever the features; set FEATURES= for none, or e.g.
#                 FEATURES="sharded compression")
#   CARGOFLAGS    (empty) more cargo options, e.g. --locked --offline
#   INSTALL       install
#
# What is installed (version 0.7.0 shown):
#   LIBDIR/libironwal.so.0.7.0   the shared library; its SONAME is libironwal.so.0.7
#   LIBDIR/libironwal.so.0.7     symlink to it, the name programs load at run time
#                                (only when it differs from the full version's name)
#   LIBDIR/libironwal.so         symlink to it, the name -lironwal finds at link time
#   LIBDIR/libironwal.a          the static library
#   INCLUDEDIR/ironwal.h         the C header (include/ironwal.h)
#   INCLUDEDIR/ironwal.hpp       the C++ wrapper, when include/ironwal.hpp exists
#   PKGCONFIGDIR/ironwal.pc      from ironwal.pc.in
# After installing into a system directory, run `ldconfig`.
#
# Soversion rule (cargo-c's, so that `cargo cinstall` makes the same library; see
# [package.metadata.capi] in Cargo.toml): from the Cargo version MAJOR.MINOR.PATCH,
#   0.0.PATCH -> 0.0.PATCH   any 0.0.x release may break the ABI
#   0.MINOR.x -> 0.MINOR     a new 0.MINOR may break it, a new PATCH may not
#   MAJOR.x.y -> MAJOR       from 1.0 on, semver: only a new MAJOR may break it
# Programs linked against libironwal.so.0.7.0 record NEEDED libironwal.so.0.7 and run
# with any 0.7.x.
#
# The SONAME is given to this build only, the way cargo-c does it: a plain
# `cargo build` makes target/*/libironwal.so without one, so the in-tree C tests and
# examples-c, which link -lironwal from target/ with an rpath, need no soname symlink.

ROOT := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))

PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DESTDIR ?=
CARGO ?= cargo
CARGO_TARGET_DIR ?= $(ROOT)/target
FEATURES ?= sharded
CARGOFLAGS ?=
INSTALL ?= install

# The system libraries a static link needs: README.md's static link line and
# examples-c/Makefile's IRONWAL_STATIC_LIBS (tests/install.rs checks they agree).
LIBS_PRIVATE := -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc

# The [package] version in Cargo.toml, e.g. 0.7.0 (a -pre or +build suffix is kept for
# pkg-config and left out of the file names).
VERSION := $(shell sed -n '/^\[package\]/,/^\[/s/^version *= *"\([^"]*\)".*/\1/p' '$(ROOT)/Cargo.toml')
ifeq ($(VERSION),)
$(error cannot read the [package] version from $(ROOT)/Cargo.toml)
endif
VERSION_NUMBERS := $(subst ., ,$(firstword $(subst -, ,$(subst +, ,$(VERSION)))))
VERSION_MAJOR := $(word 1,$(VERSION_NUMBERS))
VERSION_MINOR := $(word 2,$(VERSION_NUMBERS))
VERSION_PATCH := $(word 3,$(VERSION_NUMBERS))

ifeq ($(VERSION_MAJOR).$(VERSION_MINOR),0.0)
SOVERSION := 0.0.$(VERSION_PATCH)
else ifeq ($(VERSION_MAJOR),0)
SOVERSION := 0.$(VERSION_MINOR)
else
SOVERSION := $(VERSION_MAJOR)
endif

DEVNAME := libironwal.so
SONAME := $(DEVNAME).$(SOVERSION)
REALNAME := $(DEVNAME).$(VERSION_MAJOR).$(VERSION_MINOR).$(VERSION_PATCH)

BUILD_TARGET_DIR := $(CARGO_TARGET_DIR)/capi
BUILT := $(BUILD_TARGET_DIR)/release
HEADERS := $(ROOT)/include/ironwal.h $(wildcard $(ROOT)/include/ironwal.hpp)

# ironwal.pc names its directories relative to ${prefix} when they are below PREFIX.
PC_LIBDIR := $(patsubst $(PREFIX)/%,$${prefix}/%,$(LIBDIR))
PC_INCLUDEDIR := $(patsubst $(PREFIX)/%,$${prefix}/%,$(INCLUDEDIR))

# Sources of the library; `make install` rebuilds when one is newer than the build.
SOURCES := $(ROOT)/Cargo.toml $(wildcard $(ROOT)/Cargo.lock) $(ROOT)/build.rs \
    $(ROOT)/cbindgen.toml $(shell find '$(ROOT)/src' -name '*.rs')
# The build settings, rewritten only when they change (which then rebuilds).
BUILD_SETTINGS := features=$(strip $(FEATURES)) cargoflags=$(strip $(CARGOFLAGS)) soname=$(SONAME)
BUILD_SETTINGS_FILE := $(BUILD_TARGET_DIR)/ironwal-build-settings

.PHONY: all build install uninstall clean FORCE

all: build

# `make` and `make build` always ask cargo (which knows best what is stale); `make
# install` runs cargo only when the build is missing or stale, so that
# `make && sudo make install` compiles as the user and only copies as root.
define cargo_build
	$(CARGO) rustc --manifest-path '$(ROOT)/Cargo.toml' --release --lib \
	    --crate-type cdylib --crate-type staticlib \
	    $(if $(strip $(FEATURES)),--features '$(strip $(FEATURES))') $(CARGOFLAGS) \
	    --target-dir '$(BUILD_TARGET_DIR)' \
	    -- -C link-arg=-Wl,-soname,$(SONAME)
	touch '$(BUILT)/$(DEVNAME)' '$(BUILT)/libironwal.a'
endef

build: $(BUILD_SETTINGS_FILE)
	$(cargo_build)

$(BUILT)/$(DEVNAME): $(SOURCES) $(BUILD_SETTINGS_FILE)
	$(cargo_build)

$(BUILD_SETTINGS_FILE): FORCE
	@mkdir -p '$(BUILD_TARGET_DIR)'
	@[ "$$(cat '$@' 2>/dev/null)" = '$(BUILD_SETTINGS)' ] || printf '%s\n' '$(BUILD_SETTINGS)' > '$@'

install: $(BUILT)/$(DEVNAME)
	$(INSTALL) -d '$(DESTDIR)$(LIBDIR)' '$(DESTDIR)$(INCLUDEDIR)' '$(DESTDIR)$(PKGCONFIGDIR)'
	$(INSTALL) -m 755 '$(BUILT)/$(DEVNAME)' '$(DESTDIR)$(LIBDIR)/$(REALNAME)'
ifneq ($(SONAME),$(REALNAME))
	ln -sf '$(REALNAME)' '$(DESTDIR)$(LIBDIR)/$(SONAME)'
endif
	ln -sf '$(REALNAME)' '$(DESTDIR)$(LIBDIR)/$(DEVNAME)'
	$(INSTALL) -m 644 '$(BUILT)/libironwal.a' '$(DESTDIR)$(LIBDIR)/libironwal.a'
	$(INSTALL) -m 644 $(foreach h,$(HEADERS),'$(h)') '$(DESTDIR)$(INCLUDEDIR)/'
	sed -e 's|@PREFIX@|$(PREFIX)|' \
	    -e 's|@LIBDIR@|$(PC_LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(PC_INCLUDEDIR)|' \
	    -e 's|@VERSION@|$(VERSION)|' \
	    -e 's|@LIBS_PRIVATE@|$(LIBS_PRIVATE)|' \
	    '$(ROOT)/ironwal.pc.in' > '$(DESTDIR)$(PKGCONFIGDIR)/ironwal.pc'
	chmod 644 '$(DESTDIR)$(PKGCONFIGDIR)/ironwal.pc'

# Removes the files only: the directories may hold other libraries.
uninstall:
	rm -f '$(DESTDIR)$(LIBDIR)/$(REALNAME)' '$(DESTDIR)$(LIBDIR)/$(SONAME)' \
	    '$(DESTDIR)$(LIBDIR)/$(DEVNAME)' '$(DESTDIR)$(LIBDIR)/libironwal.a' \
	    '$(DESTDIR)$(INCLUDEDIR)/ironwal.h' '$(DESTDIR)$(INCLUDEDIR)/ironwal.hpp' \
	    '$(DESTDIR)$(PKGCONFIGDIR)/ironwal.pc'

clean:
	rm -rf '$(BUILD_TARGET_DIR)'
