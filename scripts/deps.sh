#!/usr/bin/env bash
# deps.sh — installs the Debian 12 packages odbcpool needs, when run as
# root on a machine with apt-get; otherwise only reports what is missing.
# Usage: scripts/deps.sh demo|test
set -euo pipefail

demo_pkgs=(build-essential autoconf automake libtool pkg-config
  unixodbc unixodbc-dev odbcinst libsqliteodbc libssl-dev check)
test_pkgs=("${demo_pkgs[@]}" odbc-postgresql postgresql openssl valgrind
  clang libclang-rt-14-dev iproute2 mariadb-server odbc-mariadb
  python3-pyodbc libdbd-odbc-perl php-cli php-odbc chromium
  git debhelper lintian fakeroot man-db groff-base systemd)

case "${1:-}" in
  demo) pkgs=("${demo_pkgs[@]}") ;;
  test) pkgs=("${test_pkgs[@]}") ;;
  *) echo "usage: $0 demo|test" >&2; exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
    missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "deps.sh: missing packages (install them as root): ${missing[*]}" >&2
  exit 0
fi
# Installing postgresql must not create and start a system cluster on
# port 5432: the tests start their own throwaway servers.
if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
  mkdir -p /etc/postgresql-common
  echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.conf
fi
# Nor may the packages start system servers (mariadb, postgresql): the
# tests start their own, on high ports in temporary directories.
policy=/usr/sbin/policy-rc.d
own_policy=
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  own_policy=1
fi
export DEBIAN_FRONTEND=noninteractive
rc=0
{ apt-get update -qq &&
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; } ||
  rc=$?
[ -n "$own_policy" ] && rm -f "$policy"
[ $rc -eq 0 ] || { echo "deps.sh: apt-get failed ($rc)" >&2; exit $rc; }
echo "deps.sh: installed ${missing[*]}"
