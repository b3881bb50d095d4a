#!/bin/bash
# cli.sh — the odbcpool command as operators and the packaged timer run
# it: `odbcpool check` reports every problem of a broken config in one
# run, with the nearest known key, and its exit status; `odbcpool audit
# purge --if-configured` does nothing for a config without [audit], fails
# on an invalid one, and deletes only expired rotated files otherwise.
# Needs nothing but the built command.
set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
top_builddir=${top_builddir:-$(pwd)}
cli=$top_builddir/odbcpool
status=0

fail() {
	printf 'FAIL: %s\n' "$*" >&2
	status=1
}
[ -x "$cli" ] || { fail "$cli not built"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/odbcpool-cli.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
# No odbc.ini of the machine's: check's DSN warnings are not the point.
export ODBCSYSINI=$tmp ODBCINI=$tmp/odbc.ini
: >"$tmp/odbcinst.ini"
: >"$tmp/odbc.ini"
unset ODBCPOOL_CONFIG

# expect_exit WANT CMD...: runs CMD, output in $out, and checks its status.
expect_exit() {
	local want=$1 rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	[ "$rc" -eq "$want" ] || fail "'$*' exited $rc, expected $want: $out"
}

# ------------------------------------------------- check: every problem
cat >"$tmp/bad.ini" <<'EOF'
[defaults]
max_lifetme = 30min
borrow_timeout = 5

[sales]
MAX_CONNECTIONS = 4
reset = sometimes
min_idle = 3
max_connections = 2

[audit]
retension = 30d
EOF
expect_exit 1 "$cli" check "$tmp/bad.ini"
want=(
	"bad.ini:2: key 'max_lifetme': unknown key (did you mean max_lifetime?)"
	"bad.ini:3: key 'borrow_timeout': '5' needs a unit"
	"bad.ini:6: key 'MAX_CONNECTIONS': unknown key (did you mean max_connections?)"
	"bad.ini:7: key 'reset': 'sometimes' is not one of: auto, custom, none"
	"bad.ini:12: key 'retension': unknown key (did you mean retention?)"
	"bad.ini:5: [sales]: min_idle (3) is greater than max_connections (2)"
	"bad.ini: 6 problems"
)
for w in "${want[@]}"; do
	grep -qF -- "$w" <<<"$out" || fail "check: no '$w' in:
$out"
done
n=$(grep -c 'bad.ini:[0-9]*: ' <<<"$out")
[ "$n" -eq 6 ] || fail "check printed $n problems, expected 6: $out"
grep -q '^; .*valid' <<<"$out" && fail "check printed settings of a bad file"

# One problem: no count line; a good file: exit 0; usage errors: 2.
printf '[defaults]\nfrobnicate = 1\n' >"$tmp/one.ini"
expect_exit 1 "$cli" check "$tmp/one.ini"
[ "$(wc -l <<<"$out")" -eq 1 ] || fail "check, one problem: $out"
grep -q "key 'frobnicate': unknown key$" <<<"$out" ||
	fail "check suggested a key for 'frobnicate': $out"
printf '[defaults]\nmax_connections = 3\n' >"$tmp/good.ini"
expect_exit 0 "$cli" check "$tmp/good.ini"
# A misspelt [defaults] is a DSN section to the parser: check says so.
printf '[Defaults]\nmax_connections = 3\n' >"$tmp/case.ini"
expect_exit 0 "$cli" check "$tmp/case.ini"
grep -qF "DSN 'Defaults' (line 1) is not defined in odbc.ini (did you mean \
[defaults]?" <<<"$out" ||
	fail "check, [Defaults]: no suggestion of [defaults] in: $out"
expect_exit 1 "$cli" check "$tmp/missing.ini"
grep -q 'cannot read config file' <<<"$out" || fail "check, missing: $out"
expect_exit 2 "$cli" check --bogus

# ------------------------------------------- audit purge --if-configured
expect_exit 0 "$cli" audit purge --if-configured "$tmp/good.ini"
[ -z "$out" ] || fail "purge --if-configured printed for no [audit]: $out"
expect_exit 2 "$cli" audit purge "$tmp/good.ini"
expect_exit 2 "$cli" audit purge --if-configured "$tmp/one.ini"
grep -q 'frobnicate' <<<"$out" || fail "purge hid an invalid config: $out"
expect_exit 2 "$cli" audit purge --if-configured "$tmp/missing.ini"
expect_exit 2 "$cli" audit purge --bogus "$tmp/good.ini"

mkdir -m 0700 "$tmp/audit"
head -c 32 /dev/urandom >"$tmp/audit.key" && chmod 600 "$tmp/audit.key"
cat >"$tmp/audit.ini" <<EOF
[audit]
path = $tmp/audit/audit.log
key_file = $tmp/audit.key
retention = 1d
EOF
old=$tmp/audit/audit.log.20200101T000000.000Z
young=$tmp/audit/audit.log.$(date -u +%Y%m%dT%H%M%S).000Z
look=$tmp/audit/audit.log.bak
: >"$old" && : >"$young" && : >"$look" && : >"$tmp/audit/audit.log"
touch -d '3 days ago' "$old" "$look" "$tmp/audit/audit.log"
expect_exit 0 "$cli" audit purge --if-configured "$tmp/audit.ini"
grep -qF "$old" <<<"$out" || fail "purge did not name $old: $out"
[ ! -e "$old" ] || fail "purge kept $old (3 days old, retention 1d)"
for f in "$young" "$look" "$tmp/audit/audit.log"; do
	[ -e "$f" ] || fail "purge deleted $f"
done

# ------------------------------------------------- options, every command
# The subcommands share one option loop (src/cli/args.c): help on stdout
# with status 0, an unknown option named as unknown, a known one without
# its value named as such, "--" ending the options.
for cmd in "audit verify" "audit subject" "audit report" "check" "stats"; do
	expect_exit 0 "$cli" $cmd --help
	grep -q "^usage: odbcpool $cmd" <<<"$out" ||
		fail "'$cmd --help' printed no usage: $out"
	expect_exit 0 "$cli" $cmd -h
done
for cmd in "audit verify" "audit subject" "audit report"; do
	expect_exit 2 "$cli" $cmd --bogus
	grep -q "unknown option '--bogus'" <<<"$out" ||
		fail "'$cmd --bogus' not called unknown: $out"
	expect_exit 2 "$cli" $cmd --key
	grep -q "missing value after '--key'" <<<"$out" ||
		fail "'$cmd --key' without a value: $out"
	expect_exit 2 "$cli" $cmd --key "$tmp/audit.key" --key "$tmp/audit.key"
	grep -q "'--key' given twice" <<<"$out" ||
		fail "'$cmd --key' twice: $out"
done
# After "--", an operand that looks like an option is a file to read.
expect_exit 2 "$cli" audit verify --key "$tmp/audit.key" -- "$tmp/--nofile"
grep -qF -- "$tmp/--nofile" <<<"$out" ||
	fail "verify -- FILE did not read the file: $out"

[ $status -eq 0 ] && echo "cli.sh: check reports every problem; purge" \
	"--if-configured behaves; options parsed alike"
exit $status
