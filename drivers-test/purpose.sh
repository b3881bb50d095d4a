#!/bin/bash
# purpose.sh — purpose limitation through the odbcpool driver with an
# unchanged pyodbc program on an embedded SQLite DSN: a pool section
# with purposes = billing, support and require_purpose = yes. A connect
# that names a listed purpose (Purpose= in the connection string, or the
# odbcpool DSN's Purpose in odbc.ini) works; one that names another
# purpose, an odd one, or none is refused with SQLSTATE 28000 before any
# connection is opened, and the audit trail records each refusal with its
# reason.
#
# Skips (exit 77) without sqlite3odbc or pyodbc, unless
# ODBCPOOL_REQUIRE_ALL is set, which makes that a failure.
set -u -o pipefail

# shellcheck source=drivers-test/lib.sh
. "$(dirname "$0")/lib.sh" # sets here, top_srcdir, top_builddir


module=$top_builddir/.libs/odbcpool_driver.so
need_built "$module"
/usr/bin/python3 -c 'import pyodbc' 2>/dev/null ||
	skip "pyodbc not importable by /usr/bin/python3 (python3-pyodbc)"

test_tmpdir purpose
odbc_env_init "$tmp/odbc"
need_drivers sqlite
odbc_add_pool_driver "$module"
odbc_add_sqlite_dsn real_sqlite "$tmp/p.db"
odbc_add_pooled_dsn pooled real_sqlite "$tmp/pool.ini"
odbc_add_pooled_dsn pooled_support real_sqlite "$tmp/pool.ini" Purpose=support
(umask 077 && head -c 32 /dev/urandom >"$tmp/audit.key") ||
	fail "cannot write the audit key"
cat >"$tmp/pool.ini" <<EOF || fail "cannot write $tmp/pool.ini"
[defaults]
max_connections = 2

[audit]
path = $tmp/audit.log
key_file = $tmp/audit.key

[real_sqlite]
purposes = billing, support
require_purpose = yes
EOF

/usr/bin/python3 - <<'EOF' || fail "the pyodbc program failed"
import pyodbc, sys

def connect(cs):
    try:
        cn = pyodbc.connect(cs, autocommit=True)
    except pyodbc.Error as e:
        return e.args[0], str(e)
    v = cn.execute("SELECT 6 * 7").fetchone()[0]
    cn.close()
    return "ok", v

fails = []
for cs in ("DSN=pooled;Purpose=billing", "DSN=pooled_support",
           "DSN=pooled_support;Purpose=billing"):
    got = connect(cs)
    if got != ("ok", 42):
        fails.append("%s: expected a connection, got %r" % (cs, got))
for cs, why in (("DSN=pooled;Purpose=marketing", "may not be used for"),
                ("DSN=pooled", "requires a purpose"),
                ("DSN=pooled;Purpose=", "requires a purpose"),
                ("DSN=pooled;Purpose={billing;support}", "may not be used"),
                ("DSN=pooled;Purpose=Billing", "may not be used for"),
                ("DSN=pooled_support;Purpose={x'; DROP TABLE t;--}",
                 "may not be used for")):
    state, msg = connect(cs)
    if state != "28000" or why not in msg:
        fails.append("%s: expected 28000 '%s', got %s %s" % (cs, why, state,
                                                            msg))
for f in fails:
    print("FAIL: " + f)
print("purpose.sh: %d connects checked" % 9)
sys.exit(1 if fails else 0)
EOF

# Each refusal is audited with its reason, and no connection was opened
# for one (the opens: the three allowed connects share one connection).
n_not=$(grep -c '"event":"refused".*"reason":"purpose_not_allowed"' "$tmp/audit.log")
n_missing=$(grep -c '"event":"refused".*"reason":"purpose_missing"' "$tmp/audit.log")
n_open=$(grep -c '"event":"open"' "$tmp/audit.log")
# pyodbc tries a refused connect a second time with SQLDriverConnect
# (ANSI) after SQLDriverConnectW: each refusal is then audited twice.
[ "$n_not" -eq 4 ] || [ "$n_not" -eq 8 ] ||
	fail "expected 4 (or 8) purpose_not_allowed refusals, found $n_not"
[ "$n_missing" -eq $((n_not / 2)) ] ||
	fail "expected $((n_not / 2)) purpose_missing refusals, found $n_missing"
[ "$n_open" -eq 1 ] || fail "expected 1 open, found $n_open"
grep -q '"purpose":"marketing"' "$tmp/audit.log" ||
	fail "the refused purpose is not in the audit record"
"$top_builddir/odbcpool" audit verify --key "$tmp/audit.key" "$tmp/audit.log" >/dev/null ||
	fail "the audit trail does not verify"
out=$("$top_builddir/odbcpool" check "$tmp/pool.ini") || fail "odbcpool check failed"
case $out in
*"purposes           = billing, support"*) ;;
*) fail "odbcpool check does not show the purposes: $out" ;;
esac
echo "purpose.sh: refusals audited ($n_not not allowed, $n_missing missing); passed"
exit 0
