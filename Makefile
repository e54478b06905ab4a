# tally: GNU make, no configure step.  See README.md.
#
#   make              build bin/tally, bin/tallyd, bin/tally-central
#   make check        unit tests, fuzz corpus replay, integration tests
#   make check T=wire only the tests whose name contains "wire"
#   make SAN=1 check  the same under AddressSanitizer and UBSan
#   make demo         install deps, build, run the end-to-end demo
#   make demo-province  the same at the size of a province (Thai Nguyen 2021)
#   make fuzz         libFuzzer binaries (clang) in $(BUILD)/fuzz
#   make fuzz-run     each of them for FUZZ_SECONDS (60): executions, crashes
#   make bench        benchmarks that print figures
#   make deps         install the Debian packages this needs
#   make install DESTDIR=... PREFIX=...
#   make deb          Debian packages tally, tallyd, tally-central in
#                     $(BUILD)/deb, checked with lintian
#   make deps-deb     install the Debian packages that needs

PREFIX	?= /usr/local
BUILD	?= build
BIN	?= bin
CC	?= cc
WERROR	?= -Werror
SAN	?=

PKGS	:= libsodium libcurl sqlite3 libmicrohttpd zlib libqrencode gnutls
DEBS	:= build-essential pkg-config libsodium-dev libcurl4-openssl-dev \
	   libsqlite3-dev libmicrohttpd-dev zlib1g-dev libqrencode-dev \
	   libgnutls28-dev libcmocka-dev sqlite3 curl jq chromium
# The browser tests (tests/browser) need node; Debian's when there is none.
NODE_DEBS := $(if $(shell command -v node),,nodejs npm)
BROWSER_MODULES := tests/browser/node_modules/.package-lock.json
FUZZ_DEBS := clang libclang-rt-14-dev

ifeq ($(filter deps deps-deb deb clean check demo demo-province fuzz fuzz-run,$(MAKECMDGOALS)),)
  ifneq ($(shell pkg-config --exists $(PKGS) cmocka && echo ok),ok)
    $(error missing libraries; run 'make deps' or apt-get install $(DEBS))
  endif
endif

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

CFLAGS	?= -O2 -g
override CFLAGS	+= -std=c11 -D_GNU_SOURCE -I. $(PKG_CFLAGS) \
	   -Wall -Wextra -Wshadow -Wpointer-arith -Wstrict-prototypes \
	   -Wmissing-prototypes -Wformat=2 -Wno-unused-parameter \
	   -fno-strict-aliasing $(WERROR)
override LDLIBS	+= $(PKG_LIBS) -lpthread -lm
# Tests find tests/vectors from any working directory.
TEST_CFLAGS := -DTLY_SRCDIR='"$(CURDIR)"'

ifneq ($(SAN),)
  override CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer \
	     -fno-sanitize-recover=undefined
  override LDFLAGS += -fsanitize=address,undefined
endif

LIB_SRC	:= $(wildcard common/*.c crypto/*.c sync/*.c election/*.c merge/*.c)
LIB_OBJ	:= $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB	:= $(BUILD)/libtally.a

# Each program: main.c plus the other files of its folder.
# tallyd holds the entry page's files (web/field/), tally-central its
# pages (web/central/), both built in by web/embed.sh.
WEB_FIELD := $(sort $(wildcard web/field/*))
DAEMON_OBJ  := $(patsubst %.c,$(BUILD)/%.o,$(filter-out daemon/main.c,$(wildcard daemon/*.c))) \
	       $(BUILD)/daemon/web_assets.o
CENTRAL_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(filter-out central/main.c,$(wildcard central/*.c))) \
	       $(BUILD)/central/web_assets.o
WEB_CENTRAL := $(sort $(wildcard web/central/*))
CLI_OBJ     := $(patsubst %.c,$(BUILD)/%.o,$(filter-out cli/main.c,$(wildcard cli/*.c)))

PROGS	:= $(BIN)/tally $(BIN)/tallyd $(BIN)/tally-central

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
REPLAY_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/tests/replay_%)
TOOL_SRC := $(wildcard tests/tools/*.c)
TOOL_DIRS := $(sort $(patsubst tests/tools/%/,%,$(dir $(wildcard tests/tools/*/*.c))))
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tests/tools/%) \
	    $(TOOL_DIRS:%=$(BUILD)/tests/tools/%)
# loadgen_body.c is half of bench/loadgen, not a program of its own.
BENCH_SRC := $(filter-out bench/loadgen_body.c,$(wildcard bench/*.c))
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

.PHONY: all check check-run demo demo-run demo-province demo-province-run \
	fuzz fuzz-run bench deps install clean deb deps-deb

all: $(PROGS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

# The central's pages, built into its binary (central/web.c).
$(BUILD)/central/web_assets.c: web/embed.sh $(WEB_CENTRAL)
	@mkdir -p $(dir $@)
	sh web/embed.sh $(WEB_CENTRAL) >$@.tmp && mv $@.tmp $@

$(BUILD)/central/web_assets.o: $(BUILD)/central/web_assets.c
	$(CC) $(CFLAGS) -c -o $@ $<

# The entry page, built into tallyd (daemon/web.c): the same generator,
# with the daemon's header and names.
$(BUILD)/daemon/web_assets.c: web/embed.sh $(WEB_FIELD)
	@mkdir -p $(dir $@)
	sh web/embed.sh $(WEB_FIELD) | sed -e 's|central/web\.h|daemon/tallyd.h|' \
	    -e 's/tly_web_asset/tly_dweb_asset/g' >$@.tmp && mv $@.tmp $@

$(BUILD)/daemon/web_assets.o: $(BUILD)/daemon/web_assets.c
	$(CC) $(CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

$(BIN)/tallyd: $(BUILD)/daemon/main.o $(DAEMON_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BIN)/tally-central: $(BUILD)/central/main.o $(CENTRAL_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BIN)/tally: $(BUILD)/cli/main.o $(CLI_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Unit tests: tests/unit/test_<module>.c, linked with the library and,
# for test_daemon_* and test_central_*, that program's non-main objects.
$(BUILD)/tests/test_daemon_%: tests/unit/test_daemon_%.c $(DAEMON_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(TEST_CFLAGS) -MMD -MP $(LDFLAGS) -o $@ $(filter %.c %.o %.a,$^) $(CMOCKA_LIBS) $(LDLIBS)

$(BUILD)/tests/test_central_%: tests/unit/test_central_%.c $(CENTRAL_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(TEST_CFLAGS) -MMD -MP $(LDFLAGS) -o $@ $(filter %.c %.o %.a,$^) $(CMOCKA_LIBS) $(LDLIBS)

# test_json reads its corpus from this tree, wherever it runs from.
$(BUILD)/tests/test_json: private override CFLAGS += -DTLY_SRCDIR='"$(CURDIR)"'

$(BUILD)/tests/test_%: tests/unit/test_%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(TEST_CFLAGS) -MMD -MP $(LDFLAGS) -o $@ $(filter %.c %.o %.a,$^) $(CMOCKA_LIBS) $(LDLIBS)

# Fuzz targets, built with a replay driver for make check ...
$(BUILD)/tests/replay_%: tests/fuzz/%.c tests/fuzz/replay.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP $(LDFLAGS) -o $@ $(filter %.c %.o %.a,$^) $(LDLIBS)

# ... and with libFuzzer for make fuzz.
# TLY_FUZZING: the targets skip Ed25519 signing and verifying (see
# tests/fuzz/fuzz_batch.c); the corpus replay above still does both.
FUZZ_CFLAGS := -g -O1 -std=c11 -D_GNU_SOURCE -DTLY_FUZZING -I. $(PKG_CFLAGS) \
	       -fsanitize=fuzzer,address,undefined
FUZZ_SECONDS ?= 60
fuzz:
	@dpkg -s $(FUZZ_DEBS) >/dev/null 2>&1 || $(MAKE) deps DEBS="$(FUZZ_DEBS)"
	$(MAKE) BUILD=$(BUILD)/fuzzlib CC=clang SAN= WERROR= \
	    CFLAGS="-g -O1 -fsanitize=fuzzer-no-link,address,undefined" \
	    $(BUILD)/fuzzlib/libtally.a
	@mkdir -p $(BUILD)/fuzz
	for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
	    clang $(FUZZ_CFLAGS) -o $(BUILD)/fuzz/$$n $$f \
	    $(BUILD)/fuzzlib/libtally.a $(LDLIBS) || exit 1; done
	@echo "run e.g.: $(BUILD)/fuzz/fuzz_batch tests/fuzz/corpus/fuzz_batch"

# Each target for FUZZ_SECONDS, one line each: executions and crashes.
fuzz-run: fuzz
	@BUILD=$(BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/fuzz-run

# Test tools (servers and proxies the integration tests drive): one
# file tests/tools/X.c -> $(BUILD)/tests/tools/X, or one folder
# tests/tools/D/*.c -> $(BUILD)/tests/tools/D.  A folder tool's objects
# go to $(BUILD)/tests/tools-obj/D/, as $(BUILD)/tests/tools/D is the
# binary itself.
$(BUILD)/tests/tools/%: tests/tools/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP $(LDFLAGS) -o $@ $(filter %.c %.o %.a,$^) $(LDLIBS)

$(BUILD)/tests/tools-obj/%.o: tests/tools/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

define TOOL_DIR_RULE
$(BUILD)/tests/tools/$(1): $(patsubst tests/tools/%.c,$(BUILD)/tests/tools-obj/%.o,$(wildcard tests/tools/$(1)/*.c)) $(LIB)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS)
endef
$(foreach d,$(TOOL_DIRS),$(eval $(call TOOL_DIR_RULE,$(d))))

$(BUILD)/bench/%: bench/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP $(LDFLAGS) -o $@ $(filter %.c %.o %.a,$^) $(LDLIBS)

# The load generator: the bodies it signs, then the driver that posts them.
$(BUILD)/bench/loadgen: bench/loadgen.c $(BUILD)/bench/loadgen_body.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP $(LDFLAGS) -o $@ $(filter %.c %.o %.a,$^) $(LDLIBS)

# check installs the Debian packages only when pkg-config or a tool the
# tests use cannot be found, so a machine that has them never runs
# apt-get; demo always runs deps (which does nothing when all are there).
# T=pattern runs only the tests whose name contains pattern.
HAVE_DEPS = $(shell pkg-config --exists $(PKGS) cmocka && \
	    command -v curl >/dev/null && command -v jq >/dev/null && \
	    command -v sqlite3 >/dev/null && command -v node >/dev/null && \
	    test -x /usr/bin/chromium && echo ok)
check:
	@$(if $(filter ok,$(HAVE_DEPS)),:,$(MAKE) --no-print-directory deps)
	@$(MAKE) --no-print-directory check-run

check-run: all $(UNIT_BIN) $(REPLAY_BIN) $(TOOL_BIN) $(BUILD)/bench/loadgen \
	   $(BUILD)/bench/slowloris \
	   $(BROWSER_MODULES)
	@BUILD=$(BUILD) BIN=$(BIN) tests/run-all $(T)

# The figures of election night (bench/run.sh says what and how to scale
# it down); $(BUILD)/bench/bench_results can be run on its own.
bench: all $(BENCH_BIN)
	@BUILD=$(BUILD) BIN=$(BIN) bench/run.sh

demo: deps
	@$(MAKE) --no-print-directory demo-run

demo-run: all
	@BIN=$(BIN) tests/demo.sh

demo-province: deps
	@$(MAKE) --no-print-directory demo-province-run

demo-province-run: all
	@BIN=$(BIN) tests/demo-province.sh

deps:
	@if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	if ! dpkg -s $(DEBS) $(NODE_DEBS) >/dev/null 2>&1; then \
	    $$SUDO apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    $(DEBS) $(NODE_DEBS); \
	fi

# playwright-core, at the version pinned in tests/browser/package-lock.json
# (it drives the system's chromium; it downloads no browser).
$(BROWSER_MODULES): tests/browser/package-lock.json
	cd tests/browser && npm ci --no-audit --no-fund --loglevel=error

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	    $(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0755 $(PROGS) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 0644 man/*.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 0644 man/*.8 $(DESTDIR)$(PREFIX)/share/man/man8/

# The packages are built from a copy of the tree (without build output)
# in $(BUILD)/deb/src, so that dpkg-buildpackage leaves them in
# $(BUILD)/deb and nothing outside the tree.
DEB_DEBS := debhelper dpkg-dev fakeroot lintian systemd
DEB_SRC  := $(BUILD)/deb/src

deps-deb: deps
	@if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	if ! dpkg -s $(DEB_DEBS) >/dev/null 2>&1; then \
	    $$SUDO apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    $(DEB_DEBS); \
	fi

deb: deps-deb
	rm -rf $(BUILD)/deb && mkdir -p $(DEB_SRC)
	tar -c --exclude='./build*' --exclude='./bin*' --exclude=./.git . | \
	    tar -x -C $(DEB_SRC)
	cd $(DEB_SRC) && dpkg-buildpackage -us -uc -b
	lintian --fail-on error,warning --suppress-tags \
	    bad-distribution-in-changes-file $(BUILD)/deb/*.changes
	rm -rf $(DEB_SRC)
	@ls $(BUILD)/deb/*.deb

clean:
	rm -rf $(BUILD) $(BIN)

-include $(shell find $(BUILD) -name '*.d' -type f 2>/dev/null)
