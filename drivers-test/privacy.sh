#!/bin/bash
# privacy.sh — runs drivers-test/check_privacy against a throwaway
# PostgreSQL server with TLS (certificate made at start by
# scripts/pg-server.sh): require_encryption, encryption_check, encrypted
# credentials. Skips (exit 77) without the server or psqlODBC, unless
# ODBCPOOL_REQUIRE_ALL is set.
set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$here/.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
# shellcheck source=drivers-test/lib.sh
. "$top_srcdir/drivers-test/lib.sh"


prog=$top_builddir/drivers-test/check_privacy
[ -x "$prog" ] || fail "$prog not built (make check builds it)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/odbcpool-priv.XXXXXX") || fail "mktemp failed"
at_exit "rm -rf '$tmp'"
chmod 0711 "$tmp"
mkdir -m 0700 "$tmp/scratch"

odbc_env_init "$tmp/odbc"
[ -n "$PSQLODBCW" ] || skip "psqlODBC (psqlodbcw.so) not found"
pg_start "$tmp/pg"
echo "privacy.sh: PostgreSQL with TLS on 127.0.0.1:$PG_PORT"
odbc_add_pg_dsn pg_tls "$PG_PORT" SSLmode=require
odbc_add_pg_dsn pg_plain "$PG_PORT" SSLmode=disable
odbc_add_pg_dsn pg_badcheck "$PG_PORT" SSLmode=require
odbc_add_pg_dsn pg_nocreds "$PG_PORT" Username= Password=

check="SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
cat >"$tmp/pool.ini" <<EOF
; written by drivers-test/privacy.sh
[pg_tls]
require_encryption = yes
encryption_check = $check

[pg_plain]
require_encryption = yes
encryption_check = $check

[pg_badcheck]
require_encryption = yes
encryption_check = SELECT false
EOF

export ODBCPOOL_TEST_CONFIG=$tmp/pool.ini ODBCPOOL_TEST_DIR=$tmp/scratch
export PG_TEST_USER PG_TEST_PASSWORD
"$prog" || fail "check_privacy failed"
