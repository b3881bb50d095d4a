#!/bin/bash
# man.sh — checks the manual pages against the code they document, so
# they cannot drift, and renders each without a warning:
#   odbcpool(1): every command of the CLI's command table (odbcpool --help),
#     every audit subcommand, and every option the CLI compares an argument
#     with (the "--x"/"-x" literals of src/cli/*.c) and prints in a usage;
#   odbcpool(3): every function declared in include/odbcpool.h, in the
#     SYNOPSIS and described (name() in the text), and every result code
#     of ODBCPOOL_ERRNO_MAP;
#   odbcpool-driver(7): every SQLSTATE literal in src/driver/*.c, in its
#     ERRORS section;
#   all four pages (odbcpool.ini(5) as built): `man --warnings -l` and
#     `groff -man -ww -z` print nothing.
# Skipped (77) without man or groff, unless ODBCPOOL_REQUIRE_ALL is set.
set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$here/.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
cli=$top_builddir/odbcpool
doc=$top_srcdir/doc
status=0

fail() {
	printf 'FAIL: %s\n' "$*" >&2
	status=1
}
for c in man groff; do
	if ! command -v "$c" >/dev/null 2>&1; then
		[ -z "${ODBCPOOL_REQUIRE_ALL:-}" ] || { fail "$c not found"; exit 1; }
		echo "SKIP: $c not found"
		exit 77
	fi
done
[ -x "$cli" ] || { fail "$cli not built"; exit 1; }

# The roff source as plain words: \- is -, font escapes go.
plain() {
	sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\&//g' -e 's/^\.[A-Z]* //' \
		-e 's/"//g' "$1"
}

# need WHAT N MIN: a list extracted from the code must not be empty, or
# the checks below would pass on nothing.
need() {
	[ "$2" -ge "$3" ] ||
		fail "found only $2 $1 in the code (at least $3 expected): the" \
			"extraction in tests/man.sh is broken"
}

# ------------------------------------------------------------ odbcpool(1)
page1=$(plain "$doc/odbcpool.1")
synopsis1=$(sed -n '/^\.SH SYNOPSIS/,/^\.SH /p' "$doc/odbcpool.1" |
	sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/^\.[A-Z]* //' -e 's/"//g')
mapfile -t commands < <("$cli" --help |
	sed -n '/^commands:/,/^$/p' | sed -n 's/^  \([a-z][a-z-]*\).*/\1/p')
need "commands in odbcpool --help" ${#commands[@]} 4
for c in "${commands[@]}"; do
	grep -q "^odbcpool $c\b" <<<"$synopsis1" ||
		fail "odbcpool.1: command '$c' is not in the SYNOPSIS"
	grep -q "^\.B $c\b" "$doc/odbcpool.1" ||
		fail "odbcpool.1: command '$c' has no .B $c item in DESCRIPTION"
done
mapfile -t subs < <("$cli" audit --help |
	sed -n 's/.*odbcpool audit \([a-z][a-z-]*\).*/\1/p' | sort -u)
need "audit subcommands" ${#subs[@]} 2
for c in "${subs[@]}"; do
	grep -q "^odbcpool audit $c\b" <<<"$synopsis1" ||
		fail "odbcpool.1: 'audit $c' is not in the SYNOPSIS"
done
# Every option the CLI accepts, and every one its usages print.
mapfile -t flags < <({
	grep -ohE 'strcmp\([^,]+, "-[-a-z]+"\)' "$top_srcdir"/src/cli/*.c |
		grep -oE '"-[-a-z]+"' | tr -d '"'
	for c in "${commands[@]}"; do
		"$cli" "$c" --help 2>&1 | grep -oE '(^|[][ |(])--?[a-z][-a-z]*' |
			sed 's/^[][ |(]//'
	done
} | sort -u)
need "options of the CLI" ${#flags[@]} 10
for f in "${flags[@]}"; do
	grep -qE -- "(^|[^-a-z])$f([^-a-z]|$)" <<<"$page1" ||
		fail "odbcpool.1: option '$f' is not documented"
done

# ------------------------------------------------------------ odbcpool(3)
page3=$(plain "$doc/odbcpool.3")
synopsis3=$(sed -n '/^\.SH SYNOPSIS/,/^\.SH /p' "$doc/odbcpool.3")
mapfile -t funcs < <(sed -n 's/^[a-zA-Z].*[ *]\(odbcpool_[a-z_]*\)(.*/\1/p' \
	"$top_srcdir/include/odbcpool.h" | sort -u)
need "functions in include/odbcpool.h" ${#funcs[@]} 15
for f in "${funcs[@]}"; do
	grep -q "[ *]$f(" <<<"$synopsis3" ||
		fail "odbcpool.3: $f is not in the SYNOPSIS"
	grep -q "^$f ()" <<<"$page3" ||
		fail "odbcpool.3: $f is not described (no .BR $f ())"
done
mapfile -t codes < <(sed -n '/ODBCPOOL_ERRNO_MAP(XX)/,/^$/p' \
	"$top_srcdir/include/odbcpool.h" | grep -oE 'XX\([A-Z]+,' |
	sed 's/XX(\(.*\),/ODBCPOOL_\1/')
need "result codes in include/odbcpool.h" ${#codes[@]} 10
for c in "${codes[@]}"; do
	grep -qw "$c" <<<"$page3" || fail "odbcpool.3: result code $c is missing"
done
# Every function declared in the page exists (no stale names).
for f in $(grep -oE 'odbcpool_[a-z_]+\(' <<<"$synopsis3" | tr -d '(' |
	sort -u); do
	grep -qx "$f" <<<"$(printf '%s\n' "${funcs[@]}")" ||
		fail "odbcpool.3: $f is not a function of include/odbcpool.h"
done

# ----------------------------------------------------- odbcpool-driver(7)
errors7=$(sed -n '/^\.SH ERRORS/,/^\.SH /p' "$doc/odbcpool-driver.7")
mapfile -t states < <(grep -ohE '"[0-9A-Z]{5}"' \
	"$top_srcdir"/src/driver/*.c | tr -d '"' | sort -u)
need "SQLSTATEs in src/driver" ${#states[@]} 10
for s in "${states[@]}"; do
	grep -qx "\.B $s" <<<"$errors7" ||
		fail "odbcpool-driver.7: SQLSTATE $s (src/driver) is not in ERRORS"
done

# --------------------------------------------------------------- render
ini5=$top_builddir/doc/odbcpool.ini.5
[ -f "$ini5" ] || fail "$ini5 not built"
for p in "$doc/odbcpool.1" "$doc/odbcpool.3" "$doc/odbcpool-driver.7" \
	"$ini5"; do
	[ -f "$p" ] || continue
	out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$p" 2>&1 >/dev/null)
	[ -z "$out" ] || fail "man --warnings -l $p: $out"
	out=$(groff -man -ww -z "$p" 2>&1)
	[ -z "$out" ] || fail "groff -man -ww -z $p: $out"
	[ "$(LC_ALL=C MANWIDTH=80 man -l "$p" 2>/dev/null | wc -l)" -gt 20 ] ||
		fail "$p renders to almost nothing"
done

[ $status -eq 0 ] && echo "man.sh: ${#commands[@]} commands, ${#flags[@]}" \
	"options, ${#funcs[@]} functions, ${#codes[@]} result codes," \
	"${#states[@]} SQLSTATEs documented; 4 pages render without warnings"
exit $status
