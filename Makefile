# fatpack - one static executable from a C program and its assets.
#
#   make                 build the bundler, the runtime and the server into build/
#   make check           run the test suite (ends with "N passed, N failed")
#   make check-san       the same suite with ASan+UBSan builds, in build-san/
#   make check-slow      tests that build for minutes (the OpenSSL recipe)
#   make demo            run examples/hello and examples/lua, then build
#                        examples/site with --serve and serve it on loopback
#   make install PREFIX=/usr/local DESTDIR=
#   make clean
#
#   make aarch64         the runtime and the server for aarch64 too (make check
#                        does it: the tests build for both machines)
#
# The first build runs scripts/setup.sh, which installs the Debian packages the
# project needs and builds a musl, decompression-only zstd from Debian's source
# package into build/zstd. build/ mirrors the installed tree:
#   build/bin/fatpack  build/lib/fatpack/{libfatpack.a,libzstd.a,fatpack-serve}
#   build/include/fatpack.h
#   build/share/fatpack/{fatpack.cmake,meson-cross.ini}
# and, once `scripts/setup.sh --target aarch64` has built musl and zstd for
# aarch64 into build/aarch64/ (make aarch64 runs it), the same for aarch64:
#   build/lib/fatpack/aarch64/{libfatpack.a,libzstd.a,fatpack-serve,musl/}

VERSION   := 1.0.0
PREFIX    ?= /usr/local
DESTDIR   ?=
SAN       ?= 0

WARN      := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
             -Wmissing-prototypes -Wvla
DEFS      := -D_GNU_SOURCE -DFATPACK_VERSION='"$(VERSION)"'
# for what is musl in every build (the other machine's runtime)
MUSL_DEFS := $(DEFS)

# The runtime as every static fat binary holds it, whatever the machine:
# small (docs/BENCH.md, "Size of a fat binary"); C, so no unwind tables.
MUSL_RT_CFLAGS := -Os -ffunction-sections -fdata-sections -pthread \
                  -fno-asynchronous-unwind-tables -fno-unwind-tables
# and linked as `fatpack cc` links it (static_link_flags and
# aarch64_link_flags, bundler/toolchain.c)
MUSL_LDFLAGS := -Wl,--wrap=main -Wl,--gc-sections -Wl,-z,noseparate-code

ifeq ($(SAN),1)
B         := build-san
CC        := clang
SANFLAGS  := -fsanitize=address,undefined -fno-sanitize-recover=all \
             -fno-omit-frame-pointer
CFLAGS    ?= -O1 -g
HOST_CFLAGS := $(CFLAGS) $(SANFLAGS)
# The runtime cannot be sanitized inside a static musl binary: in this build it
# is compiled for glibc with the sanitizers, linked dynamically, and the
# bundler is told so (FATPACK_SAN_TOOLCHAIN).
RT_CC     := clang
RT_CFLAGS := $(CFLAGS) $(SANFLAGS) -pthread
RT_ZSTD_LIB :=
RT_SODIUM_LIB :=
DEFS      += -DFATPACK_SAN_TOOLCHAIN=1
else
B         := build
CC        := gcc
CFLAGS    ?= -O2 -g
HOST_CFLAGS := $(CFLAGS)
RT_CC     := musl-gcc
RT_CFLAGS := $(MUSL_RT_CFLAGS)
RT_ZSTD_LIB := $(B)/lib/fatpack/libzstd.a
# linked only into artifacts built with --require-signature
RT_SODIUM_LIB := $(B)/lib/fatpack/libsodium.a
endif

ZSTD_MUSL := build/zstd/libzstd.a
ZSTD_INC  := build/zstd/include
SODIUM_MUSL := build/sodium/libsodium.a
SODIUM_INC  := build/sodium/include

PKGS      := libarchive libzstd libelf inih libsodium
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

# stub/ has five rooms (docs/ARCHITECTURE.md). The format library
# (stub/format/), the read commands (stub/inspect/) and the rules of a
# releases folder (stub/deploy/) are compiled twice:
# for musl into the runtime, and for the host into the bundler.
SHARED_SRC := $(wildcard stub/format/*.c stub/inspect/*.c stub/deploy/*.c)
# Runtime: linked into every fat binary.
RT_SRC    := $(SHARED_SRC) $(wildcard stub/runtime/*.c)
# Built-in static file server (fatpack build --serve).
SERVE_SRC := $(wildcard stub/server/*.c)
# Bundler: the fatpack command.
BUNDLER_SRC := $(wildcard bundler/*.c) $(SHARED_SRC)

RT_OBJ      := $(RT_SRC:%.c=$(B)/obj/rt/%.o)
SERVE_OBJ   := $(SERVE_SRC:%.c=$(B)/obj/rt/%.o)
BUNDLER_OBJ := $(BUNDLER_SRC:%.c=$(B)/obj/host/%.o)

FATPACK   := $(B)/bin/fatpack
LIBFP     := $(B)/lib/fatpack/libfatpack.a
SERVE_BIN := $(B)/lib/fatpack/fatpack-serve
HEADER    := $(B)/include/fatpack.h
CMAKE_FILE := $(B)/share/fatpack/fatpack.cmake
MESON_FILE := $(B)/share/fatpack/meson-cross.ini

SETUP_STAMP := build/.setup-done

# The other machine: musl and zstd built for it by scripts/setup.sh, always
# static musl (also in the SAN build, whose runtime is the host's glibc: a
# sanitized program for another machine could not run here).
X         := aarch64
X_SETUP   := build/$(X)/.setup-done
X_MUSL    := build/$(X)/musl
X_CC      := $(X_MUSL)/bin/musl-gcc
X_AR      := $(X)-linux-gnu-ar
X_DIR     := $(B)/lib/fatpack/$(X)
X_LIBFP   := $(X_DIR)/libfatpack.a
X_ZSTD    := $(X_DIR)/libzstd.a
X_SERVE   := $(X_DIR)/fatpack-serve
X_SPECS   := $(X_DIR)/musl/lib/musl-gcc.specs
X_ALL     := $(X_LIBFP) $(X_ZSTD) $(X_SERVE) $(X_SPECS)
X_RT_OBJ    := $(RT_SRC:%.c=$(B)/obj/$(X)/%.o)
X_SERVE_OBJ := $(SERVE_SRC:%.c=$(B)/obj/$(X)/%.o)

.PHONY: all setup check check-san check-slow demo install clean bench fuzz $(X)
# aarch64 only once its toolchain is set up: a plain make needs no cross
# compiler
all: $(FATPACK) $(LIBFP) $(SERVE_BIN) $(HEADER) $(RT_ZSTD_LIB) \
    $(RT_SODIUM_LIB) $(CMAKE_FILE) \
    $(MESON_FILE) $(if $(wildcard $(X_SETUP)),$(X_ALL))

# --- set-up: packages and the musl zstd decoder -----------------------------
$(SETUP_STAMP): scripts/setup.sh
	bash scripts/setup.sh
	@mkdir -p $(@D) && touch $@

setup: $(SETUP_STAMP)

$(ZSTD_MUSL) $(SODIUM_MUSL): $(SETUP_STAMP)

# on the stamp, not on the library: make would not see the library that a
# new set-up rebuilt (new decoder flags) as newer than the copy
ifeq ($(SAN),0)
$(RT_ZSTD_LIB): $(SETUP_STAMP)
	@mkdir -p $(@D)
	cp $(ZSTD_MUSL) $@

$(RT_SODIUM_LIB): $(SETUP_STAMP)
	@mkdir -p $(@D)
	cp $(SODIUM_MUSL) $@
endif

# --- runtime ----------------------------------------------------------------
ifeq ($(SAN),1)
RT_INC := -Iinclude -iquote stub
else
RT_INC := -Iinclude -iquote stub -I$(ZSTD_INC) -I$(SODIUM_INC)
endif

$(B)/obj/rt/%.o: %.c $(SETUP_STAMP) include/fatpack.h stub/*/*.h
	@mkdir -p $(@D)
	$(RT_CC) $(WARN) $(DEFS) $(RT_CFLAGS) $(RT_INC) -c $< -o $@

$(LIBFP): $(RT_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(HEADER): include/fatpack.h
	@mkdir -p $(@D)
	cp $< $@

ifeq ($(SAN),1)
$(SERVE_BIN): $(SERVE_OBJ) $(LIBFP)
	@mkdir -p $(@D)
	$(RT_CC) $(RT_CFLAGS) -Wl,--wrap=main $(SERVE_OBJ) $(LIBFP) -lzstd -o $@
else
$(SERVE_BIN): $(SERVE_OBJ) $(LIBFP) $(RT_ZSTD_LIB)
	@mkdir -p $(@D)
	$(RT_CC) $(RT_CFLAGS) -static -s $(MUSL_LDFLAGS) $(SERVE_OBJ) \
	    $(LIBFP) $(RT_ZSTD_LIB) -o $@
endif

# --- the runtime and the server for aarch64 ---------------------------------
# after the host's set-up: two apt-get runs at once would fight over dpkg's lock
$(X_SETUP): scripts/setup.sh $(SETUP_STAMP)
	bash scripts/setup.sh --target $(X)
	@mkdir -p $(@D) && touch $@

$(X): $(FATPACK) $(HEADER) $(X_ALL)

$(B)/obj/$(X)/%.o: %.c $(X_SETUP) include/fatpack.h stub/*/*.h
	@mkdir -p $(@D)
	$(X_CC) $(WARN) $(MUSL_DEFS) $(MUSL_RT_CFLAGS) -Iinclude -iquote stub \
	    -Ibuild/$(X)/zstd/include -I$(SODIUM_INC) -c $< -o $@

$(X_LIBFP): $(X_RT_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	$(X_AR) rcs $@ $^

$(X_ZSTD): $(X_SETUP)
	@mkdir -p $(@D)
	cp build/$(X)/zstd/libzstd.a $@

$(X_SERVE): $(X_SERVE_OBJ) $(X_LIBFP) $(X_ZSTD)
	$(X_CC) $(MUSL_RT_CFLAGS) -static -s $(MUSL_LDFLAGS) -Wl,-z,norelro \
	    $(X_SERVE_OBJ) $(X_LIBFP) $(X_ZSTD) -o $@

# musl for aarch64 beside its runtime, where `fatpack cc --target aarch64`
# finds it; its specs name the folder it is in (fix_specs FROM, TO).
fix_specs = sed 's|$(1)/|$(2)/|g'
$(X_SPECS): $(X_SETUP)
	rm -rf $(X_DIR)/musl
	@mkdir -p $(X_DIR)/musl/lib
	cp -R $(X_MUSL)/include $(X_DIR)/musl/
	cp $(X_MUSL)/lib/*.o $(X_MUSL)/lib/*.a $(X_DIR)/musl/lib/
	$(call fix_specs,$(abspath $(X_MUSL)),$(abspath $(X_DIR))/musl) \
	    $(X_MUSL)/lib/musl-gcc.specs >$@

# --- build-system files (docs/LIBRARIES.md) ---------------------------------
$(CMAKE_FILE): share/fatpack/fatpack.cmake
	@mkdir -p $(@D)
	cp $< $@

# The Meson cross file names the fatpack it goes with, $(1).
meson_cross = sed -e 's|@FATPACK@|$(1)|g' -e 's|@CPU@|$(shell uname -m)|g' \
    share/fatpack/meson-cross.ini.in

$(MESON_FILE): share/fatpack/meson-cross.ini.in
	@mkdir -p $(@D)
	$(call meson_cross,$(abspath $(FATPACK))) >$@

# --- bundler ----------------------------------------------------------------
$(B)/obj/host/%.o: %.c $(SETUP_STAMP) include/fatpack.h stub/*/*.h bundler/*.h
	@mkdir -p $(@D)
	$(CC) $(WARN) $(DEFS) $(HOST_CFLAGS) -Iinclude -iquote stub -Ibundler \
	    $(PKG_CFLAGS) -c $< -o $@

$(FATPACK): $(BUNDLER_OBJ)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) $^ $(PKG_LIBS) -pthread -o $@

# --- tests, demo, install ---------------------------------------------------
check: all $(X)
	bash tests/run.sh $(B)

check-san:
	$(MAKE) SAN=1 all $(X)
	bash tests/run.sh build-san

# Tests too slow for make check: the OpenSSL recipe of docs/LIBRARIES.md.
check-slow: all
	bash tests/slow/t_openssl.sh $(B)

demo: all
	bash examples/demo.sh $(B)

bench: all $(X)
	bash scripts/setup.sh --bench
	bash bench/run.sh $(B)

# Longer libFuzzer runs of the HTTP request parser and of the format reader
# than the ones in make check (FATPACK_FUZZ_SECONDS each).
fuzz: all
	FATPACK_FUZZ_SECONDS=$${FATPACK_FUZZ_SECONDS:-300} bash tests/t_fuzz.sh $(B)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/fatpack \
	    $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/share/man/man1 \
	    $(DESTDIR)$(PREFIX)/share/fatpack
	install -m 755 $(FATPACK) $(DESTDIR)$(PREFIX)/bin/fatpack
	install -m 644 $(LIBFP) $(DESTDIR)$(PREFIX)/lib/fatpack/libfatpack.a
	test -z "$(RT_ZSTD_LIB)" || install -m 644 $(RT_ZSTD_LIB) \
	    $(DESTDIR)$(PREFIX)/lib/fatpack/libzstd.a
	test -z "$(RT_SODIUM_LIB)" || install -m 644 $(RT_SODIUM_LIB) \
	    $(DESTDIR)$(PREFIX)/lib/fatpack/libsodium.a
	install -m 755 $(SERVE_BIN) $(DESTDIR)$(PREFIX)/lib/fatpack/fatpack-serve
	install -m 644 include/fatpack.h $(DESTDIR)$(PREFIX)/include/fatpack.h
	install -m 644 share/fatpack/fatpack.cmake $(DESTDIR)$(PREFIX)/share/fatpack/
	$(call meson_cross,$(PREFIX)/bin/fatpack) \
	    >$(DESTDIR)$(PREFIX)/share/fatpack/meson-cross.ini
	if [ -f $(X_SPECS) ]; then \
	    d=$(DESTDIR)$(PREFIX)/lib/fatpack/$(X) && \
	    install -d $$d/musl/lib && \
	    install -m 644 $(X_LIBFP) $(X_ZSTD) $$d/ && \
	    install -m 755 $(X_SERVE) $$d/ && \
	    cp -R $(X_DIR)/musl/include $$d/musl/ && \
	    install -m 644 $(X_DIR)/musl/lib/*.o $(X_DIR)/musl/lib/*.a $$d/musl/lib/ && \
	    $(call fix_specs,$(abspath $(X_DIR))/musl,$(PREFIX)/lib/fatpack/$(X)/musl) \
	        $(X_SPECS) >$$d/musl/lib/musl-gcc.specs; \
	fi
	for m in docs/*.1; do [ -e "$$m" ] || continue; \
	    install -m 644 "$$m" $(DESTDIR)$(PREFIX)/share/man/man1/; done

clean:
	rm -rf build/bin build/lib build/include build/obj build/share build-san
