#!/bin/bash
# build.sh [TARGET...]: compile the libFuzzer targets (default: all) with
# Debian's clang under AddressSanitizer and UBSan, straight from the
# sources they test: no configure, no automake. Prints the directory the
# binaries are in (bin/fuzz_<name>) on its last line.
#
#   FUZZ_BUILD   build directory (default $TMPDIR/archived-fuzz-build-$UID);
#                objects are kept there, so a second build only recompiles
#                what changed (make, with clang's dependency files)
#   FUZZ_CC      the compiler (default clang, else clang-14..19)
#   FUZZ_CONFIG  a configured build directory whose config.h to use; by
#                default a minimal one is written (the sources need only
#                _GNU_SOURCE from it)
set -eu

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
OUT=${FUZZ_BUILD:-${TMPDIR:-/tmp}/archived-fuzz-build-$(id -u)}
ALL="fuzz_ts fuzz_mp4 fuzz_fmp4 fuzz_router fuzz_json_form fuzz_time fuzz_pusher fuzz_layout"

die() {
	echo "build.sh: $*" >&2
	exit 1
}

CC=${FUZZ_CC:-}
if [ -z "$CC" ]; then
	for c in clang clang-14 clang-15 clang-16 clang-17 clang-18 clang-19; do
		if command -v "$c" >/dev/null; then
			CC=$c
			break
		fi
	done
fi
[ -n "$CC" ] || die "clang not found: install the Debian packages clang and libclang-rt-14-dev"
command -v make >/dev/null || die "make not found"
command -v pkg-config >/dev/null || die "pkg-config not found"
PKGS="jansson sqlite3 libpq libconfig libcrypto"
pkg-config --exists $PKGS || die "missing development packages: libjansson-dev libsqlite3-dev libpq-dev libconfig-dev libssl-dev"

TARGETS=${*:-$ALL}
for t in $TARGETS; do
	case " $ALL " in
	*" $t "*) ;;
	*) die "unknown target '$t' (targets: $ALL)" ;;
	esac
done

mkdir -p "$OUT"
if [ -n "${FUZZ_CONFIG:-}" ]; then
	[ -f "$FUZZ_CONFIG/config.h" ] || die "no config.h in $FUZZ_CONFIG"
	CONFIG_DIR=$(cd "$FUZZ_CONFIG" && pwd)
else
	CONFIG_DIR=$OUT/include
	mkdir -p "$CONFIG_DIR"
	# What AC_USE_SYSTEM_EXTENSIONS puts in config.h on Linux.
	cat >"$CONFIG_DIR/config.h.new" <<-'EOF'
	/* Written by tests/fuzz/build.sh in place of configure's. */
	#ifndef _GNU_SOURCE
	# define _GNU_SOURCE 1
	#endif
	#ifndef _ALL_SOURCE
	# define _ALL_SOURCE 1
	#endif
	#ifndef __EXTENSIONS__
	# define __EXTENSIONS__ 1
	#endif
	#ifndef _POSIX_PTHREAD_SEMANTICS
	# define _POSIX_PTHREAD_SEMANTICS 1
	#endif
	#define PACKAGE "archived"
	#define PACKAGE_NAME "archived"
	#define PACKAGE_VERSION "fuzz"
	#define VERSION "fuzz"
	EOF
	# Rewritten only when it changes, so make does not rebuild everything.
	if cmp -s "$CONFIG_DIR/config.h.new" "$CONFIG_DIR/config.h"; then
		rm "$CONFIG_DIR/config.h.new"
	else
		mv "$CONFIG_DIR/config.h.new" "$CONFIG_DIR/config.h"
	fi
fi

# Sources per link unit, as the .am fragments group them, less the
# programs' main.c and (media) the libavformat fallback, which loads
# libavformat with dlopen and is not under test.
rel() {
	local f
	for f in "$@"; do
		[ -e "$f" ] && printf '%s ' "${f#"$SRC"/}"
	done
}
LIB_SRCS=$(rel "$SRC"/src/lib/*.c)
MEDIA_SRCS=$(for f in "$SRC"/src/media/*.c; do
	case ${f##*/} in demux_lavf.c | avlib.c | latm.c) ;; *) rel "$f" ;; esac
done)
RESP_SRCS=$(for f in "$SRC"/cgi-bin/*.c; do
	case ${f##*/} in main.c) ;; *) rel "$f" ;; esac
done)
PUSHD_SRCS=$(for f in "$SRC"/daemon/pushd/*.c; do
	case ${f##*/} in main.c) ;; *) rel "$f" ;; esac
done)
LAYOUT_SRCS="src/recordings/layout.c src/recordings/fragtail.c"

SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
CFLAGS="-g -O1 $SAN -fsanitize=fuzzer-no-link -Wall -Wno-unused-parameter \
-I$CONFIG_DIR -I$SRC/src -I$SRC -I$SRC/tests/fuzz $(pkg-config --cflags $PKGS)"
LDFLAGS="-g $SAN -fsanitize=fuzzer"
LIBS="$(pkg-config --libs $PKGS) -lm -pthread"

# The flags are a dependency too: changing them rebuilds everything.
# The objects' dependency files name the sources by absolute path: built
# from another tree (another clone), they would name files that are not
# there, and make would stop. Start afresh when the tree changes.
if [ "$(cat "$OUT/src" 2>/dev/null)" != "$SRC" ]; then
	rm -rf "$OUT/obj" "$OUT/bin" "$OUT"/*.a
	printf '%s\n' "$SRC" >"$OUT/src"
fi

printf '%s\n' "$CC" "$CFLAGS" "$LDFLAGS" "$LIBS" >"$OUT/flags.new"
if cmp -s "$OUT/flags.new" "$OUT/flags"; then
	rm "$OUT/flags.new"
else
	mv "$OUT/flags.new" "$OUT/flags"
fi

objs() {
	local f
	for f in $*; do
		printf 'obj/%s.o ' "${f%.c}"
	done
}

{
	echo "# Written by tests/fuzz/build.sh; do not edit."
	echo "CC = $CC"
	echo "CFLAGS = $CFLAGS"
	echo "LDFLAGS = $LDFLAGS"
	echo "LIBS = $LIBS"
	echo "SRC = $SRC"
	echo "LIB_OBJS = $(objs "$LIB_SRCS")"
	echo "MEDIA_OBJS = $(objs "$MEDIA_SRCS")"
	echo "RESP_OBJS = $(objs "$RESP_SRCS")"
	echo "PUSHD_OBJS = $(objs "$PUSHD_SRCS")"
	echo "LAYOUT_OBJS = $(objs "$LAYOUT_SRCS")"
	echo 'ALL_OBJS = $(LIB_OBJS) $(MEDIA_OBJS) $(RESP_OBJS) $(PUSHD_OBJS) $(LAYOUT_OBJS)'
	echo
	echo 'obj/%.o: $(SRC)/%.c flags'
	printf '\t@mkdir -p $(@D)\n'
	printf '\t@echo "  CC      $*.c"\n'
	printf '\t@$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<\n'
	echo
	echo '%.a:'
	printf '\t@rm -f $@\n'
	printf '\t@ar rcs $@ $^\n'
	echo 'libarchived.a: $(LIB_OBJS)'
	echo 'libmedia.a: $(MEDIA_OBJS)'
	echo 'libresponder.a: $(RESP_OBJS)'
	echo 'libpushd.a: $(PUSHD_OBJS)'
	echo 'librecordings.a: $(LAYOUT_OBJS)'
	echo
	for t in $ALL; do
		case $t in
		fuzz_ts | fuzz_mp4 | fuzz_fmp4) libs="libmedia.a librecordings.a libarchived.a" ;;
		fuzz_router | fuzz_json_form) libs="libresponder.a libarchived.a" ;;
		fuzz_pusher) libs="libpushd.a libarchived.a" ;;
		fuzz_layout) libs="librecordings.a libarchived.a" ;;
		fuzz_time) libs="libarchived.a" ;;
		esac
		echo "bin/$t: obj/tests/fuzz/$t.o $libs"
		printf '\t@mkdir -p bin\n'
		printf '\t@echo "  LINK    $@"\n'
		printf '\t@$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)\n'
	done
	echo
	echo '-include $(ALL_OBJS:.o=.d)' "$(for t in $ALL; do printf 'obj/tests/fuzz/%s.d ' "$t"; done)"
} >"$OUT/Makefile"

JOBS=$(nproc 2>/dev/null || echo 2)
make -s -C "$OUT" -j"$JOBS" $(for t in $TARGETS; do printf 'bin/%s ' "$t"; done) >&2
echo "$OUT/bin"
