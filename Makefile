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
# The first build runs scripts/setup.sh, which installs the Debian packages the
# project needs and builds a musl, decompression-only zstd from Debian's source
# package into build/zstd. build/ mirrors the installed tree:
#   build/bin/fatpack  build/lib/fatpack/{libfatpack.a,libzstd.a,fatpack-serve}
#   build/include/fatpack.h
#   build/share/fatpack/{fatpack.cmake,meson-cross.ini}

VERSION   := 1.0.0
PREFIX    ?= /usr/local
DESTDIR   ?=
SAN       ?= 0

WARN      := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
             -Wmissing-prototypes -Wvla
DEFS      := -D_GNU_SOURCE -DFATPACK_VERSION='"$(VERSION)"'

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
DEFS      += -DFATPACK_SAN_TOOLCHAIN=1
else
B         := build
CC        := gcc
CFLAGS    ?= -O2 -g
HOST_CFLAGS := $(CFLAGS)
RT_CC     := musl-gcc
RT_CFLAGS := -Os -ffunction-sections -fdata-sections -pthread
RT_ZSTD_LIB := $(B)/lib/fatpack/libzstd.a
endif

ZSTD_MUSL := build/zstd/libzstd.a
ZSTD_INC  := build/zstd/include

PKGS      := libarchive libzstd libelf inih
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

.PHONY: all setup check check-san check-slow demo install clean bench fuzz
all: $(FATPACK) $(LIBFP) $(SERVE_BIN) $(HEADER) $(RT_ZSTD_LIB) $(CMAKE_FILE) \
    $(MESON_FILE)

# --- set-up: packages and the musl zstd decoder -----------------------------
$(SETUP_STAMP): scripts/setup.sh
	bash scripts/setup.sh
	@mkdir -p $(@D) && touch $@

setup: $(SETUP_STAMP)

$(ZSTD_MUSL): $(SETUP_STAMP)

ifeq ($(SAN),0)
$(RT_ZSTD_LIB): $(ZSTD_MUSL)
	@mkdir -p $(@D)
	cp $< $@
endif

# --- runtime ----------------------------------------------------------------
ifeq ($(SAN),1)
RT_INC := -Iinclude -iquote stub
else
RT_INC := -Iinclude -iquote stub -I$(ZSTD_INC)
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
	$(RT_CC) $(RT_CFLAGS) -static -s -Wl,--gc-sections -Wl,--wrap=main \
	    $(SERVE_OBJ) $(LIBFP) $(RT_ZSTD_LIB) -o $@
endif

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
check: all
	bash tests/run.sh $(B)

check-san:
	$(MAKE) SAN=1 all
	bash tests/run.sh build-san

# Tests too slow for make check: the OpenSSL recipe of docs/LIBRARIES.md.
check-slow: all
	bash tests/slow/t_openssl.sh $(B)

demo: all
	bash examples/demo.sh $(B)

bench: all
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
	install -m 755 $(SERVE_BIN) $(DESTDIR)$(PREFIX)/lib/fatpack/fatpack-serve
	install -m 644 include/fatpack.h $(DESTDIR)$(PREFIX)/include/fatpack.h
	install -m 644 share/fatpack/fatpack.cmake $(DESTDIR)$(PREFIX)/share/fatpack/
	$(call meson_cross,$(PREFIX)/bin/fatpack) \
	    >$(DESTDIR)$(PREFIX)/share/fatpack/meson-cross.ini
	for m in docs/*.1; do [ -e "$$m" ] || continue; \
	    install -m 644 "$$m" $(DESTDIR)$(PREFIX)/share/man/man1/; done

clean:
	rm -rf build/bin build/lib build/include build/obj build/share build-san
