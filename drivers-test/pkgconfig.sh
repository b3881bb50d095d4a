#!/bin/bash
# pkgconfig.sh — odbcpool.pc as installed by `make install DESTDIR=`: the
# program drivers-test/client_pkgconfig.c, which calls the ODBC API on a
# borrowed handle, compiles and links with nothing but
# `cc $(pkg-config --cflags --libs odbcpool)` against the staged install
# (header, library, .pc; unixODBC's odbc.pc from the system), loads the
# staged library, and borrows an erased SQLite connection twice. Needs no
# root; drivers-test/packages.sh does the same with the -dev package.
# Skipped (77) without pkg-config, a C compiler or the SQLite ODBC driver,
# unless ODBCPOOL_REQUIRE_ALL is set.
set -u -o pipefail

# shellcheck source=drivers-test/lib.sh
. "$(dirname "$0")/lib.sh" # sets here, top_srcdir, top_builddir
if [ -n "${ODBCPOOL_REQUIRE_ALL:-}" ]; then
	skip() {
		printf 'FAIL: ODBCPOOL_REQUIRE_ALL is set, but: %s\n' "$*" >&2
		exit 1
	}
fi
need_cmd pkg-config cc make ldd

test_tmpdir pc
odbc_env_init "$tmp/odbc"
odbc_add_sqlite_dsn lite "$tmp/lite.db"

stage=$tmp/root
make -C "$top_builddir" install DESTDIR="$stage" >"$tmp/install.log" 2>&1 ||
	{ tail -n 30 "$tmp/install.log" >&2; fail "make install DESTDIR= failed"; }
pc=$(find "$stage" -name odbcpool.pc -print -quit)
[ -n "$pc" ] || fail "make install put no odbcpool.pc under $stage"
# The .pc names the final paths; point its absolute ones into the stage.
mkdir "$tmp/pc" || fail "mkdir failed"
sed -E "s#^(prefix|exec_prefix|libdir|includedir)=/#\\1=$stage/#" "$pc" \
	>"$tmp/pc/odbcpool.pc" || fail "cannot rewrite $pc"
export PKG_CONFIG_PATH=$tmp/pc${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}

flags=$(pkg-config --cflags --libs odbcpool) ||
	fail "pkg-config --cflags --libs odbcpool failed"
grep -qw -- -lodbc <<<"$flags" ||
	fail "pkg-config --libs odbcpool does not bring unixODBC's -lodbc: $flags"
# shellcheck disable=SC2086
cc -std=c11 -Wall -Wextra -Werror "$top_srcdir/drivers-test/client_pkgconfig.c" \
	-o "$tmp/prog" $flags >"$tmp/cc.log" 2>&1 ||
	{ cat "$tmp/cc.log" >&2; fail "cc \$(pkg-config --cflags --libs odbcpool) fails: $flags"; }
libdir=$(pkg-config --variable=libdir odbcpool)
deps=$(LD_LIBRARY_PATH=$libdir ldd "$tmp/prog") || fail "ldd failed"
grep -q "=> $libdir/libodbcpool\.so" <<<"$deps" ||
	fail "the program does not load the staged libodbcpool: $deps"

printf '[defaults]\nmax_connections = 1\n' >"$tmp/pool.ini"
out=$(LD_LIBRARY_PATH=$libdir "$tmp/prog" "$tmp/pool.ini" 2>&1) ||
	fail "the pkg-config program failed: $out"
grep -q 'same connection: yes; temp tables left: 0' <<<"$out" ||
	fail "the pkg-config program: $out"
echo "pkgconfig.sh: cc \$(pkg-config --cflags --libs odbcpool) = $flags: $out"
