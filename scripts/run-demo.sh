#!/usr/bin/env bash
# run-demo.sh — builds odbcpool and runs `odbcpool demo` on an embedded
# SQLite DSN (installs the build dependencies first when run as root).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
scripts/deps.sh demo
[ -x configure ] || ./autogen.sh >/dev/null 2>&1
mkdir -p build/demo
cd build/demo
[ -f Makefile ] || "$top/configure" --quiet
make -j"$(nproc)" odbcpool odbcpool_driver.la >/dev/null
exec ./odbcpool demo
