#!/bin/bash
# symbols.sh — the library and the driver module, which run inside other
# people's processes, hold no test, demo or CLI code: nm on the built
# libodbcpool.so and odbcpool_driver.so finds none of the symbols that
# only the command and the tests use, and their dynamic symbol tables
# export only the public names (odbcpool_*, and SQL* for the driver).
set -u -o pipefail
top_builddir=${top_builddir:-$(pwd)}
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v nm >/dev/null 2>&1 || { echo "SKIP: nm not found (binutils)"; exit 77; }
lib=$top_builddir/.libs/libodbcpool.so
drv=$top_builddir/.libs/odbcpool_driver.so
tools='scratch_|data_file|audit_verify|cred_write$|secret_new_key$|audit_rotate_now$|audit_set_clock$|audit_set_syslog_hook$'
for f in "$lib" "$drv"; do
	[ -f "$f" ] || fail "$f not built"
	# Symbols of code that belongs to the command or the tests only
	# (defined there, or referenced): the scratch setup, the audit
	# verifier, writing key and credentials files, and the audit
	# writer's test hooks (rotate now, a fixed clock, syslog capture).
	bad=$(nm "$f" | awk '{ print $NF }' |
		grep -E "^odbcpool__($tools)" || true)
	[ -z "$bad" ] || fail "$(basename "$f") holds tool code: $bad"
done
# Exported names: the library exports odbcpool_ only, the driver SQL*.
bad=$(nm -D --defined-only "$lib" | awk '{ print $NF }' |
	grep -v -E '^odbcpool_[a-z]' | grep -v -E '^_(init|fini|edata|end|_bss_start)$' || true)
[ -z "$bad" ] || fail "libodbcpool.so exports: $bad"
bad=$(nm -D --defined-only "$drv" | awk '{ print $NF }' |
	grep -v -E '^(SQL|odbcpool_driver_LTX_SQL)' |
	grep -v -E '^_(init|fini|edata|end|_bss_start)$' || true)
[ -z "$bad" ] || fail "odbcpool_driver.so exports: $bad"
echo "symbols.sh: no tool code in the library or the driver; exports as declared"
