#!/bin/bash
# report_render.sh — `odbcpool audit report --html` rendered by a real
# browser: a 30-day sample trail (tests/audit_sample), its HTML report
# checked for the two inline SVG charts and for anything that would load
# or run something, then a headless Chromium screenshot checked for its
# size and, with python3, for the charts' colours on screen. Then, under
# valgrind (unless ODBCPOOL_VALGRIND=no), subject and report on the trail
# with an edited record and a foreign line added, and a user name with odd
# bytes: no memory error, and both bad places named.
#
# With --write-doc, the screenshot replaces doc/report-example.png.
# Skips (exit 77) without Chromium, unless ODBCPOOL_REQUIRE_ALL is set,
# which makes that a failure.
set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$here/.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}

fail() {
	printf 'FAIL: %s\n' "$*" >&2
	exit 1
}
skip() {
	if [ -n "${ODBCPOOL_REQUIRE_ALL:-}" ]; then
		fail "ODBCPOOL_REQUIRE_ALL is set, but: $*"
	fi
	printf 'SKIP: %s\n' "$*" >&2
	exit 77
}
check() { # check WHAT EXPECTED ACTUAL
	[ "$2" = "$3" ] || fail "$1: expected $2, got $3"
	printf 'ok: %s (%s)\n' "$1" "$3"
}

write_doc=
[ "${1:-}" = --write-doc ] && write_doc=1

odbcpool=$top_builddir/odbcpool
sample=$top_builddir/tests/audit_sample
[ -x "$odbcpool" ] || fail "$odbcpool not built"
[ -x "$sample" ] || fail "$sample not built (make check builds it)"
browser=
for b in chromium chromium-browser google-chrome; do
	command -v "$b" >/dev/null 2>&1 && browser=$(command -v "$b") && break
done
[ -n "$browser" ] || skip "no Chromium to render the report (apt-get install chromium)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/odbcpool-render.XXXXXX") || fail "mktemp"
trap 'rm -rf "$tmp"' EXIT

today=$("$sample" "$tmp" 30) || fail "audit_sample failed"
html=$tmp/report.html
out=$(ODBCPOOL_REPORT_NOW_MS=$((today + 43200000)) \
	"$odbcpool" audit report --html "$html" "$tmp/pool.ini") ||
	fail "audit report exited $?: $out"
grep -q '^Chain: intact' <<<"$out" || fail "report: chain not intact: $out"
grep -q 'DSN "sales_pg" purpose "billing"' <<<"$out" ||
	fail "report: no billing row: $out"

# The page: both charts, and nothing that loads or runs anything.
check "SVG chart of borrows per day" 1 "$(grep -c '<svg id="borrows-per-day"' "$html")"
check "SVG chart of hold times" 1 "$(grep -c '<svg id="hold-times"' "$html")"
bars=$(grep -o '<rect ' "$html" | wc -l)
[ "$bars" -ge 37 ] || fail "expected at least 30 days and 7 buckets of bars, got $bars"
printf 'ok: %s bars in the charts\n' "$bars"
if grep -Eiq '<script|<link|<img|<iframe|<object|src=|href=|url\(|@import|https:' "$html"; then
	fail "the report loads or runs something: $(grep -Eio '<script|<link|<img|<iframe|<object|src=|href=|url\(|@import|https:' "$html" | head -3)"
fi
check "URLs other than the SVG namespace" 0 \
	"$(grep -o 'http:[^"]*' "$html" | grep -vc '^http://www.w3.org/2000/svg$')"

# A browser of its own: new empty profile, no network, no sandbox (root).
png=$tmp/report.png
timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-quic \
	--no-first-run --disable-background-networking \
	--disable-component-update --disable-sync \
	--user-data-dir="$tmp/profile" --screenshot="$png" \
	--window-size=1200,1600 "file://$html" >"$tmp/browser.log" 2>&1 ||
	fail "Chromium failed ($?): $(tail -5 "$tmp/browser.log")"
[ -s "$png" ] || fail "no screenshot: $(tail -5 "$tmp/browser.log")"
check "PNG signature" "89504e470d0a1a0a" "$(od -An -tx1 -N8 "$png" | tr -d ' \n')"
w=$(od -An -tu1 -j16 -N4 "$png" | awk '{print $1*16777216+$2*65536+$3*256+$4}')
h=$(od -An -tu1 -j20 -N4 "$png" | awk '{print $1*16777216+$2*65536+$3*256+$4}')
check "screenshot width" 1200 "$w"
check "screenshot height" 1600 "$h"
size=$(wc -c <"$png")
[ "$size" -gt 30000 ] || fail "screenshot of $size bytes: blank?"

# The charts are on screen: pixels of the first series' blue, the second
# and third series' colours and the green "chain intact" box.
if command -v python3 >/dev/null 2>&1; then
	python3 - "$png" <<'EOF' || fail "pixel check"
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
pos, idat, w = 8, b"", 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        assert depth == 8 and ctype in (2, 6), (depth, ctype)
        bpp = 3 if ctype == 2 else 4
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
raw = zlib.decompress(idat)
stride, rows, prev = w * bpp, [], bytearray(w * bpp)
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b, c = prev[i], prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(line)
    prev = line
def count(rgb):
    k = 0
    for line in rows:
        for x in range(0, stride, bpp):
            if all(abs(line[x + j] - rgb[j]) <= 6 for j in range(3)):
                k += 1
    return k
want = {"billing (chart blue)": (0x1f, 0x77, 0xb4), "support (orange)": (0xff, 0x7f, 0x0e),
        "reporting (green)": (0x2c, 0xa0, 0x2c), "chain intact box": (0xe6, 0xf4, 0xe6)}
for name, rgb in want.items():
    k = count(rgb)
    print("ok: %d pixels of %s" % (k, name) if k >= 500 else "too few pixels of %s: %d" % (name, k))
    if k < 500:
        sys.exit(1)
EOF
else
	echo "note: no python3: pixel checks left out"
fi

# The command on hostile input under valgrind: a trail with an edited
# record and a foreign line, a user name with odd bytes; both commands must
# name the bad places (exit 1) without a memory error (exit 99).
if [ "${ODBCPOOL_VALGRIND:-}" != no ] && command -v valgrind >/dev/null 2>&1; then
	log=$(find "$tmp" -maxdepth 1 -name 'audit.log.2*' | sort | head -1)
	[ -n "$log" ] || fail "no rotated file in the sample trail"
	sed -i -e '5s/"pid":/"pid":1/' \
		-e '9s/^/{"seq":1,"x":"\x1b[2J"}\n/' "$log" || fail "sed"
	printf 'user07\377\033[2J\n' >"$tmp/user"
	vg="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"
	for args in "subject --user-file $tmp/user" \
		"subject --json --user-file $tmp/user" \
		"report --json --html $tmp/hostile.html"; do
		# shellcheck disable=SC2086
		$vg "$odbcpool" audit $args "$tmp/pool.ini" >"$tmp/vg.out" 2>"$tmp/vg.err"
		rc=$?
		[ $rc -eq 1 ] || fail "valgrind audit $args: exit $rc (1 expected): $(tail -5 "$tmp/vg.err")"
		grep -q "$log:5: MAC does not match" "$tmp/vg.out" ||
			fail "audit $args did not name the edited record: $(head -5 "$tmp/vg.out")"
		grep -q "$log:9: not an audit record" "$tmp/vg.out" ||
			fail "audit $args did not name the foreign line: $(head -5 "$tmp/vg.out")"
		printf 'ok: valgrind clean, both bad places named: audit %s\n' "${args%% *}"
	done
else
	echo "note: valgrind not run (ODBCPOOL_VALGRIND=no or no valgrind)"
fi

if [ -n "$write_doc" ]; then
	cp "$png" "$top_srcdir/doc/report-example.png" || fail "cannot write doc"
	echo "wrote $top_srcdir/doc/report-example.png"
fi
echo "PASS: the HTML report renders with its charts ($w x $h, $size bytes)"
