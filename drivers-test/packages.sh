#!/bin/bash
# packages.sh — builds the Debian packages from a clean copy of the source
# (git archive of the work tree's tracked files), lints them, installs them
# on this machine and uses them from the installed files only; purges them
# at the end.
#
# What it proves, in order:
#   - dpkg-buildpackage -us -uc -b builds the four packages with the unit
#     tests run by debian/rules (DEB_BUILD_OPTIONS=nocheck is not set) and
#     no compiler warning, and lintian finds no error in them;
#   - the postinst registered the driver in /etc/odbcinst.ini as ODBCPool,
#     Threading = 0, pointing at the installed module; /etc/odbcpool.ini
#     is a conffile that `odbcpool check` accepts; the reset scripts, man
#     pages (odbcpool(3) in -dev), systemd units and cron job are there,
#     and systemd-analyze verify accepts the units;
#   - isql, through the registered driver, runs a query on an embedded
#     SQLite DSN with a pool config whose audit trail the installed
#     `odbcpool audit verify` finds intact, and gets the driver's own
#     diagnostic for a DSN without TargetDSN;
#   - a C program that calls the ODBC API on a borrowed handle compiles
#     and links with `cc $(pkg-config --cflags --libs odbcpool)` against
#     the installed -dev package alone, and its temp table is gone for the
#     next borrower of the same connection;
#   - the timer's command (ExecStart of the installed unit) exits 0 with
#     the shipped config, and deletes an expired rotated audit file, and
#     only that, with a config that has an [audit] section;
#   - apt-get purge unregisters the driver and removes /etc/odbcpool.ini.
#
# Needs root (it installs packages), git (the clean copy), dpkg-buildpackage,
# debhelper, lintian, isql and the SQLite ODBC driver; skipped (exit 77)
# without them, unless ODBCPOOL_REQUIRE_ALL is set, which makes that a
# failure. Always skipped inside a package build (no recursion) and where
# the source is not a git checkout (make distcheck's copy: the packages are
# built from git, and distcheck must not build and install them again).
# About 3 minutes on 2 cores, most of it dpkg-buildpackage.
#
# Environment: top_srcdir, top_builddir (set by make check), SQLITE_ODBC,
# ODBCPOOL_PACKAGES_KEEP=1 (keep the temporary directory and the packages
# installed, and print where).
set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$here/.." && pwd)}
# shellcheck source=drivers-test/lib.sh
. "$top_srcdir/drivers-test/lib.sh"

say() { printf 'packages.sh: %s\n' "$*"; }

# Not skips of a missing dependency: never turned into failures.
if [ -n "${ODBCPOOL_IN_PACKAGE_BUILD:-}" ]; then
	skip "inside a package build (this test builds the packages itself)"
fi
# (distcheck unpacks its copy inside the build tree, which may itself be
# inside a git work tree: the source must be the top of one.)
if ! command -v git >/dev/null 2>&1 ||
	[ "$(git -C "$top_srcdir" rev-parse --show-toplevel 2>/dev/null)" != \
		"$(cd "$top_srcdir" && pwd -P)" ]; then
	skip "$top_srcdir is not a git checkout (make distcheck's copy or a" \
		"tarball): the packages are built from git archive"
fi

# With ODBCPOOL_REQUIRE_ALL, what would be skipped fails instead.
if [ -n "${ODBCPOOL_REQUIRE_ALL:-}" ]; then
	skip() {
		printf 'FAIL: ODBCPOOL_REQUIRE_ALL is set, but: %s\n' "$*" >&2
		exit 1
	}
fi
[ "$(id -u)" -eq 0 ] || skip "not root: the test installs packages"
need_cmd dpkg-buildpackage dh lintian apt-get dpkg-query odbcinst isql \
	pkg-config cc systemd-analyze flock
[ -n "${SQLITE_ODBC:-}" ] ||
	SQLITE_ODBC=$(_lib_find_module libsqlite3odbc.so) ||
	skip "SQLite ODBC driver (libsqlite3odbc.so) not found"

pkgs=(libodbcpool0 libodbcpool-dev odbc-odbcpool odbcpool)
odbcinst_ini=$(odbcinst -j | sed -n 's/^DRIVERS[.]*: //p')
[ -n "$odbcinst_ini" ] || fail "odbcinst -j names no DRIVERS file"

# One run at a time on this machine (other work trees run it too).
exec 9>/run/lock/odbcpool-packages.lock || fail "cannot open the lock file"
flock -w 900 9 || fail "another packages.sh held the lock for 15 minutes"

installed() {
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}
for p in "${pkgs[@]}"; do
	installed "$p" && fail "$p is already installed here; this test" \
		"installs and purges it, so remove it first (apt-get purge $p)"
done
grep -q '^\[ODBCPool\]' "$odbcinst_ini" &&
	fail "$odbcinst_ini already has an [ODBCPool] driver, which the" \
		"test would take over; unregister it first"
[ ! -e /etc/odbcpool.ini ] ||
	fail "/etc/odbcpool.ini exists and is not from the package; the test" \
		"would replace it"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/odbcpool-pkg.XXXXXX") || fail "mktemp failed"
if [ -n "${ODBCPOOL_PACKAGES_KEEP:-}" ]; then
	say "keeping $tmp and the installed packages"
else
	at_exit "rm -rf '$tmp'"
fi
start=$SECONDS

# ---------------------------------------------------------------- build
# The tracked files as they are in the work tree (committed or not):
# `git stash create` makes a commit of them without touching anything.
tree=$(git -C "$top_srcdir" stash create 2>/dev/null) || tree=
[ -n "$tree" ] || tree=HEAD
version=$(sed -n '1s/^odbcpool (\([^)]*\)).*/\1/p' \
	"$top_srcdir/debian/changelog")
[ -n "$version" ] || fail "no version in debian/changelog"
src=$tmp/odbcpool-${version%-*}
git -C "$top_srcdir" archive --format=tar --prefix="${src##*/}/" "$tree" |
	tar -x -C "$tmp" || fail "git archive $tree failed"
[ ! -e "$src/configure" ] || fail "the clean copy has a generated configure"

say "dpkg-buildpackage -us -uc -b (log: $tmp/build.log)"
if ! (cd "$src" && ODBCPOOL_IN_PACKAGE_BUILD=1 \
	DEB_BUILD_OPTIONS="parallel=2" dpkg-buildpackage -us -uc -b) \
	>"$tmp/build.log" 2>&1; then
	tail -n 60 "$tmp/build.log" >&2
	fail "dpkg-buildpackage failed"
fi
grep -q -E '^[0-9]+%: Checks: [0-9]+, Failures: 0, Errors: 0' \
	"$src"/tests/*.log 2>/dev/null ||
	grep -q -E '^# PASS: +[1-9]' "$tmp/build.log" ||
	fail "the package build ran no unit test (see $tmp/build.log)"
grep -q -E '^# (FAIL|ERROR): +[1-9]' "$tmp/build.log" &&
	fail "unit tests failed in the package build"
# debian/rules builds without -Werror (a newer compiler must not break the
# package), with Debian's hardening flags: a warning fails here instead.
warnings=$(grep -E '^[^ :]+\.[ch]:[0-9]+(:[0-9]+)?: warning:' "$tmp/build.log")
[ -z "$warnings" ] || fail "compiler warnings in the package build:
$warnings"
say "built in $((SECONDS - start)) s:"
debs=()
for p in "${pkgs[@]}"; do
	f=$(compgen -G "$tmp/${p}_${version}_*.deb") ||
		fail "package $p was not built"
	debs+=("$f")
	printf '  %-40s %7d bytes\n' "${f##*/}" "$(stat -c %s "$f")"
done
changes=$(compgen -G "$tmp/odbcpool_${version}_*.changes") ||
	fail "no .changes file"

# --------------------------------------------------------------- lintian
lintian --fail-on error --suppress-tags initial-upload-closes-no-bugs \
	"$changes" >"$tmp/lintian.log" 2>&1
lint=$?
sed 's/^/  lintian: /' "$tmp/lintian.log" | grep -v 'running with root'
[ $lint -eq 0 ] || fail "lintian reports errors (exit $lint)"

# --------------------------------------------------------------- install
purge() {
	local p list=()
	for p in "${pkgs[@]}"; do
		installed "$p" && list+=("$p")
	done
	[ ${#list[@]} -eq 0 ] ||
		DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq \
			-o DPkg::Lock::Timeout=600 "${list[@]}" >"$tmp/purge.log" 2>&1
}
[ -n "${ODBCPOOL_PACKAGES_KEEP:-}" ] || at_exit purge
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	-o DPkg::Lock::Timeout=600 "${debs[@]}" >"$tmp/install.log" 2>&1 ||
	{ tail -n 30 "$tmp/install.log" >&2; fail "apt-get install failed"; }
for p in "${pkgs[@]}"; do
	installed "$p" || fail "$p is not installed after apt-get install"
done

# The driver is registered, Threading = 0, at the installed module.
module=$(dpkg -L odbc-odbcpool | grep '/odbc/odbcpool_driver\.so$') ||
	fail "odbc-odbcpool has no odbcpool_driver.so"
entry=$(odbcinst -q -d -n ODBCPool) ||
	fail "ODBCPool is not registered in $odbcinst_ini"
grep -qx "Driver *= *$module" <<<"$entry" ||
	fail "ODBCPool's Driver is not $module: $entry"
grep -qx 'Threading *= *0' <<<"$entry" ||
	fail "ODBCPool is not registered with Threading = 0: $entry"
say "driver registered in $odbcinst_ini: $(tr '\n' ' ' <<<"$entry")"

# Installing the same packages again (as an upgrade does: prerm upgrade,
# postinst configure) keeps one registration, not a second count.
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --reinstall \
	-o DPkg::Lock::Timeout=600 "${debs[@]}" >>"$tmp/install.log" 2>&1 ||
	fail "apt-get install --reinstall failed"
entry=$(odbcinst -q -d -n ODBCPool) ||
	fail "ODBCPool is not registered after a reinstall"
grep -qx 'UsageCount *= *1' <<<"$entry" ||
	fail "a reinstall changed ODBCPool's UsageCount: $entry"

# The files of each package.
conffiles=$(dpkg-query -W -f='${Conffiles}\n' odbcpool)
grep -q ' /etc/odbcpool.ini ' <<<"$conffiles" ||
	fail "/etc/odbcpool.ini is not a conffile of odbcpool"
out=$(odbcpool check /etc/odbcpool.ini 2>&1) ||
	fail "odbcpool check rejects the shipped /etc/odbcpool.ini: $out"
grep -q '^reset *= auto$' <<<"$out" ||
	fail "the shipped config does not erase with reset = auto: $out"
for f in $(grep -oE '/usr/share/[^ ]+' /etc/odbcpool.ini); do
	[ -f "$f" ] || fail "/etc/odbcpool.ini points to $f, which is not installed"
done
for f in /usr/share/odbcpool/reset/sqlite.sql \
	/usr/share/odbcpool/reset/postgresql.sql \
	/usr/share/odbcpool/reset/mariadb.sql /etc/cron.d/odbcpool \
	/lib/systemd/system/odbcpool-audit-purge.service \
	/lib/systemd/system/odbcpool-audit-purge.timer \
	/usr/include/odbcpool.h; do
	[ -f "$f" ] || fail "$f is not installed"
done
for page in 1:odbcpool 3:odbcpool 5:odbcpool.ini 7:odbcpool-driver; do
	man -w "${page%%:*}" "${page#*:}" >/dev/null 2>&1 ||
		fail "man page ${page#*:}(${page%%:*}) is not installed"
done
timer_link=/etc/systemd/system/timers.target.wants/odbcpool-audit-purge.timer
[ -L "$timer_link" ] || fail "the audit purge timer is not enabled"
systemd-analyze verify odbcpool-audit-purge.timer \
	odbcpool-audit-purge.service >"$tmp/verify.log" 2>&1 ||
	{ cat "$tmp/verify.log" >&2; fail "systemd-analyze verify rejects the units"; }

# ----------------------------------------------- isql through the driver
# Only the DSNs are ours (ODBCINI, the user data sources); the drivers are
# the system's, as the packages registered them.
unset ODBCSYSINI ODBCINSTINI
export ODBCINI=$tmp/odbc.ini
mkdir -m 0700 "$tmp/audit" || fail "cannot create $tmp/audit"
head -c 32 /dev/urandom >"$tmp/audit.key" && chmod 600 "$tmp/audit.key" ||
	fail "cannot write the audit key"
cat >"$ODBCINI" <<EOF
[lite]
Driver = $SQLITE_ODBC
Database = $tmp/lite.db
Timeout = 5000

[pooled]
Driver = ODBCPool
TargetDSN = lite
PoolConfig = $tmp/pool.ini

[no_target]
Driver = ODBCPool
EOF
cat >"$tmp/pool.ini" <<EOF
[defaults]
max_connections = 1

[audit]
path = $tmp/audit/audit.log
key_file = $tmp/audit.key
retention = 1d
EOF
out=$(odbcpool check "$tmp/pool.ini" 2>&1) || fail "odbcpool check: $out"

out=$(printf 'SELECT 40 + 2\n' | isql -b -v pooled 2>&1) ||
	fail "isql through the driver failed: $out"
grep -qw 42 <<<"$out" || fail "isql through the driver: no 42 in: $out"
grep -q '"event":"borrow"' "$tmp/audit/audit.log" ||
	fail "isql's connect did not borrow from the pool (no borrow record)"
out=$(odbcpool audit verify --config "$tmp/pool.ini" 2>&1) ||
	fail "the installed odbcpool finds the trail not intact: $out"
say "isql through the driver: SELECT 40 + 2 = 42; audit trail intact"
out=$(printf 'SELECT 1\n' | isql -b -v no_target 2>&1) &&
	fail "isql connected to a DSN without TargetDSN: $out"
grep -q 'IM002.*\[odbcpool\].*names no TargetDSN' <<<"$out" ||
	fail "no [odbcpool] IM002 diagnostic for a DSN without TargetDSN: $out"

# ------------------------------------- a C program built with pkg-config
cp "$top_srcdir/drivers-test/client_pkgconfig.c" "$tmp/prog.c" ||
	fail "cannot copy drivers-test/client_pkgconfig.c"
flags=$(pkg-config --cflags --libs odbcpool) || fail "pkg-config odbcpool failed"
# shellcheck disable=SC2086
cc -std=c11 -Wall -Wextra -Werror "$tmp/prog.c" -o "$tmp/prog" $flags \
	>"$tmp/cc.log" 2>&1 ||
	{ cat "$tmp/cc.log" >&2; fail "cc \$(pkg-config --cflags --libs odbcpool) fails"; }
grep -qw -- -lodbc <<<"$flags" ||
	fail "pkg-config --libs odbcpool does not name -lodbc: $flags"
out=$("$tmp/prog" "$tmp/pool.ini" 2>&1) || fail "the pkg-config program: $out"
grep -q 'same connection: yes; temp tables left: 0' <<<"$out" ||
	fail "the pkg-config program: $out"
say "cc \$(pkg-config --cflags --libs odbcpool): $flags; $out"

# ------------------------------------------- the audit retention job
cmd=$(sed -n 's/^ExecStart=//p' /lib/systemd/system/odbcpool-audit-purge.service)
[ -n "$cmd" ] || fail "the service has no ExecStart"
# With the shipped config (no [audit]) the daily run has nothing to do.
read -r -a argv <<<"$cmd"
out=$("${argv[@]}" 2>&1) || fail "'$cmd' fails with the shipped config: $out"
[ -z "$out" ] || fail "'$cmd' prints with the shipped config: $out"
# With an [audit] section it deletes the expired rotated file only.
old=$tmp/audit/audit.log.20200101T000000.000Z
young=$tmp/audit/audit.log.$(date -u +%Y%m%dT%H%M%S).000Z
: >"$old" && : >"$young" && touch -d '3 days ago' "$old" ||
	fail "cannot create rotated audit files"
argv=("${argv[@]/\/etc\/odbcpool.ini/$tmp/pool.ini}")
out=$("${argv[@]}" 2>&1) || fail "the purge command fails: $out"
[ ! -e "$old" ] || fail "the purge kept $old (3 days old, retention 1d)"
[ -e "$young" ] || fail "the purge deleted $young (younger than retention)"
[ -e "$tmp/audit/audit.log" ] || fail "the purge deleted the live file"
say "the timer's command deletes the expired rotated file only"

# ------------------------------------------------------------ purge
[ -z "${ODBCPOOL_PACKAGES_KEEP:-}" ] || { say "kept: $tmp"; exit 0; }
purge || { cat "$tmp/purge.log" >&2; fail "apt-get purge failed"; }
for p in "${pkgs[@]}"; do
	installed "$p" && fail "$p is still installed after apt-get purge"
done
grep -q '^\[ODBCPool\]' "$odbcinst_ini" &&
	fail "ODBCPool is still in $odbcinst_ini after the purge"
[ ! -e "$module" ] || fail "$module is still there after the purge"
[ ! -e /etc/odbcpool.ini ] || fail "/etc/odbcpool.ini is left after the purge"
[ ! -L "$timer_link" ] || fail "$timer_link is left after the purge"
say "purged: driver unregistered, /etc/odbcpool.ini removed"
say "PASS in $((SECONDS - start)) s"
