#!/usr/bin/env bash
# run-tests.sh — builds odbcpool and runs every test: the Check unit
# tests, the driver tests against SQLite and a PostgreSQL server they
# start themselves, the same under ASan+UBSan, and make distcheck.
# Installs what it needs with apt-get when run as root. Prints the Check
# summary lines; exits non-zero on any failure or skipped test.
set -uo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
scripts/deps.sh test || exit 1

status=0
summary=()

# Runs `make check` in build dir $1 (configured with the rest of the
# arguments) and collects the Check summary lines of its logs.
check_build() {
  local dir=$1 label=$2
  shift 2
  mkdir -p "$dir"
  (cd "$dir" && "$top/configure" --quiet --enable-werror "$@" &&
    make -j"$(nproc)" >/dev/null) || { echo "build failed: $label"; return 1; }
  local rc=0
  if [ -n "${CHECK_TESTS:-}" ]; then
    (cd "$dir" && ODBCPOOL_REQUIRE_ALL=1 make -j1 check TESTS="$CHECK_TESTS") ||
      rc=1
  else
    (cd "$dir" && ODBCPOOL_REQUIRE_ALL=1 make -j1 check) || rc=1
  fi
  while IFS= read -r line; do
    summary+=("[$label] $line")
  done < <(cd "$dir" && grep -h -E '^[0-9]+%: Checks:' \
    tests/*.log drivers-test/*.log 2>/dev/null)
  # A skipped test is a failure here: CI installs everything.
  if grep -l -E '^SKIP' "$dir"/tests/*.trs "$dir"/drivers-test/*.trs \
    2>/dev/null | grep -q .; then
    echo "tests were skipped in $label build"; rc=1
  fi
  if [ $rc -ne 0 ]; then
    for f in "$dir"/tests/*.log "$dir"/drivers-test/*.log; do
      [ -f "$f" ] && grep -q -E ':[FE]:|FAIL|ERROR' "$f" &&
        { echo "==== $f"; tail -n 60 "$f"; }
    done
  fi
  return $rc
}

[ -x configure ] || ./autogen.sh >/dev/null 2>&1 || { echo "autogen failed"; exit 1; }

# The plain build also runs the C client through the driver module under
# valgrind memcheck (errors and definite leaks fail).
ODBCPOOL_CLIENTS_VALGRIND=1 check_build build/plain plain || status=1

# ASan + UBSan: the unit tests and the library-level driver tests,
# valgrind left out (it cannot run under ASan), and a shorter load test
# (ASan makes each borrow several times slower). clients.sh is left out:
# its hosts (python, perl, php, isql) are not built with ASan and cannot
# load an ASan-built driver module; the plain build runs it, valgrind
# included.
asan_tests="tests/check_config tests/check_connstr tests/check_pool"
asan_tests+=" tests/check_audit tests/check_secret tests/check_log"
asan_tests+=" drivers-test/sqlite.sh"
asan_tests+=" drivers-test/postgresql.sh drivers-test/mariadb.sh"
asan_tests+=" drivers-test/privacy.sh drivers-test/module.sh"
asan_tests+=" drivers-test/compat.sh tests/report_render.sh"
san="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined -g -O1"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
LSAN_OPTIONS="suppressions=$top/tests/lsan.supp:print_suppressions=0" \
ODBCPOOL_VALGRIND=no ODBCPOOL_TEST_ITERATIONS=1000 \
CHECK_TESTS="$asan_tests" \
  check_build build/asan asan CC=clang CFLAGS="$san" LDFLAGS="$san" ||
  status=1

# TSan on the unit tests (the pool's own threads; the drivers are not
# built with TSan). die_after_fork=0: the fork test starts the pool's
# threads again in the child, which TSan otherwise refuses outright.
tsan="-fsanitize=thread -fno-omit-frame-pointer -g -O1"
TSAN_OPTIONS="die_after_fork=0:halt_on_error=1:second_deadlock_stack=1" \
CHECK_TESTS="tests/check_config tests/check_pool" \
  check_build build/tsan tsan CC=clang CFLAGS="$tsan" LDFLAGS="$tsan" ||
  status=1

# libFuzzer: a short run of each parser's target (the commands for a long
# run are at the top of tests/fuzz_*.c). A finding fails the run.
fuzz_run() {
  local name=$1 srcs=$2 seconds=$3 dir=build/fuzz
  mkdir -p "$dir/$name.corpus"
  # shellcheck disable=SC2086
  clang -g -O1 -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=undefined -D_GNU_SOURCE -Iinclude -Isrc \
    -Ibuild/plain "tests/$name.c" $srcs -o "$dir/$name" \
    -lcrypto -ldl -lpthread || { echo "cannot build $name"; return 1; }
  cp doc/odbcpool.ini.example data/reset/*.sql "$dir/$name.corpus/"
  if (cd "$dir" && "./$name" -max_total_time="$seconds" -max_len=4096 \
    "$name.corpus" >"$name.log" 2>&1); then
    summary+=("[fuzz] $name: $(grep -o 'Done [0-9]* runs in [0-9]* second(s)' \
      "$dir/$name.log")")
  else
    echo "fuzz target $name found a problem:"; tail -n 40 "$dir/$name.log"
    return 1
  fi
}
fuzz_run fuzz_config "src/config.c src/config_check.c src/config_settings.c \
  src/config_value.c src/sqlsplit.c src/error.c src/util.c src/dm.c" 30 ||
  status=1
fuzz_run fuzz_connstr "src/connstr.c src/error.c src/util.c src/dm.c" 30 ||
  status=1

# distcheck: the tarball builds, installs under DESTDIR and passes its
# tests from a read-only source tree (the behaviour was checked above,
# so the load test is short here).
(cd build/plain && ODBCPOOL_VALGRIND=no ODBCPOOL_TEST_ITERATIONS=500 \
  make distcheck >distcheck.log 2>&1) ||
  { echo "make distcheck failed:"; tail -n 40 build/plain/distcheck.log; status=1; }

echo
echo "==== Check summaries"
printf '%s\n' "${summary[@]}"
if [ $status -eq 0 ]; then echo "ALL TESTS PASSED"; else echo "TESTS FAILED"; fi
exit $status
