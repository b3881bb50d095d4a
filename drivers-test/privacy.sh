#!/bin/bash
# privacy.sh — runs drivers-test/check_privacy against a throwaway
# PostgreSQL server with TLS (certificate made at start by
# scripts/pg-server.sh): require_encryption, encryption_check, encrypted
# credentials. Skips (exit 77) without the server or psqlODBC, unless
# ODBCPOOL_REQUIRE_ALL is set.
set -u -o pipefail

# shellcheck source=drivers-test/lib.sh
. "$(dirname "$0")/lib.sh" # sets here, top_srcdir, top_builddir


prog=$top_builddir/drivers-test/check_privacy
need_built "$prog"

test_tmpdir priv
chmod 0711 "$tmp"
mkdir -m 0700 "$tmp/scratch"

odbc_env_init "$tmp/odbc"
need_drivers pg
pg_start "$tmp/pg"
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
