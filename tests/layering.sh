#!/bin/bash
# layering.sh — the driver module (src/driver/) reaches the pool core only
# through src/pool_driver.h (and the public include/odbcpool.h): no file
# of src/driver/ includes, directly or through another header, a header
# that defines the pool's structs or the core's private helpers (pool.h,
# pool_impl.h, config_impl.h), and it includes no header of src/ but
# those listed in `allowed`. With those structs incomplete, the driver
# cannot take the set's lock or read a connection's fields by hand; the
# compiler enforces it as long as this test keeps the headers out.
#
# Then it checks that the check fails: it copies src/ and include/ to a
# temporary directory, adds an include of pool.h to a driver file there
# (directly; through another header; and an include of a header outside
# the allowed list), and expects a failure naming it each time.
set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$here/.." && pwd)}
forbidden=(pool.h pool_impl.h config_impl.h)
# The only headers of src/ a file of src/driver/ may include itself: the
# interface to the pool, the DM table, errors, utilities and the
# connection-string parser. Another one is a decision for the interface
# (add what the driver needs to pool_driver.h), not a drive-by include.
allowed=(pool_driver.h dm.h odbcapi.h error.h util.h connstr.h)

# Prints the headers file $2 includes with quotes, resolved as the build
# resolves them (the including file's directory, then include/ and src/
# of tree $1), one path a line; unresolved ones (build.h) are left out.
includes_of() {
	local tree=$1 file=$2 dir name
	dir=$(dirname "$file")
	sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' \
		"$file" | while IFS= read -r name; do
		for d in "$dir" "$tree/include" "$tree/src"; do
			if [ -f "$d/$name" ]; then
				echo "$d/$name"
				break
			fi
		done
	done
}

# Checks every file of $1/src/driver; prints each forbidden header a file
# reaches, with the chain of includes that leads there, and each header of
# src/ outside `allowed` it includes itself. Returns 1 if any.
check_tree() {
	local tree=$1 bad=0 f
	for f in "$tree"/src/driver/*.c "$tree"/src/driver/*.h; do
		[ -f "$f" ] || continue
		local direct ok a
		while IFS= read -r direct; do
			[ "$(dirname "$direct")" = "$tree/src" ] || continue
			ok=0
			for a in "${allowed[@]}"; do
				[ "$(basename "$direct")" = "$a" ] && ok=1
			done
			if [ $ok -eq 0 ]; then
				echo "${f#"$tree"/} includes ${direct#"$tree"/}, not one of: ${allowed[*]}"
				bad=1
			fi
		done < <(includes_of "$tree" "$f")
		# Breadth-first over the include graph, each header once.
		local -A seen=() via=()
		local queue=("$f") cur inc
		while [ ${#queue[@]} -gt 0 ]; do
			cur=${queue[0]}
			queue=("${queue[@]:1}")
			while IFS= read -r inc; do
				[ -n "$inc" ] || continue
				[ -z "${seen[$inc]:-}" ] || continue
				seen[$inc]=1
				via[$inc]=$cur
				local base
				base=$(basename "$inc")
				for h in "${forbidden[@]}"; do
					if [ "$base" = "$h" ] && [ "$(dirname "$inc")" = "$tree/src" ]; then
						local chain=$inc n=$inc
						while [ "${via[$n]:-}" != "" ] && [ "${via[$n]}" != "$f" ]; do
							n=${via[$n]}
							chain="$n -> $chain"
						done
						echo "${f#"$tree"/} includes $h: ${f#"$tree"/} -> ${chain//"$tree"\//}"
						bad=1
					fi
				done
				queue+=("$inc")
			done < <(includes_of "$tree" "$cur")
		done
		unset seen via
	done
	return $bad
}

out=$(check_tree "$top_srcdir")
if [ $? -ne 0 ]; then
	echo "FAIL: src/driver/ goes around pool_driver.h" >&2
	echo "$out" >&2
	echo "(src/driver/ may include ${allowed[*]} and odbcpool.h;" >&2
	echo " add what it needs from the pool to pool_driver.h)" >&2
	exit 1
fi
echo "layering.sh: src/driver/ reaches the pool only through pool_driver.h"

# The check itself must catch both a direct and an indirect include.
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
selftest() {
	local what=$1
	rm -rf "$tmp/t"
	mkdir -p "$tmp/t"
	cp -R "$top_srcdir/src" "$top_srcdir/include" "$tmp/t/" || exit 1
	chmod -R u+w "$tmp/t"
	case $what in
	direct) printf '#include "pool.h"\n' >>"$tmp/t/src/driver/text.c" ;;
	indirect)
		printf '#include "pool_impl.h"\n' >>"$tmp/t/src/connstr.h" ;;
	unlisted)
		printf '#include "stats.h"\n' >"$tmp/t/src/stats.h"
		printf '#include "stats.h"\n' >>"$tmp/t/src/driver/text.c" ;;
	esac
	if check_tree "$tmp/t" >"$tmp/out"; then
		echo "FAIL: layering check missed an $what include of a private header" >&2
		exit 1
	fi
	grep -q "$2" "$tmp/out" || {
		echo "FAIL: layering check failed without naming the header" >&2
		cat "$tmp/out" >&2
		exit 1
	}
}
selftest direct 'includes pool.h'
selftest indirect 'includes pool_impl.h'
selftest unlisted 'includes src/stats.h, not one of'
echo "layering.sh: the check fails on a direct, an indirect and an unlisted include"
