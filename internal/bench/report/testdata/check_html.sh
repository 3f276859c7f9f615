#!/usr/bin/env bash
# check_html.sh renders a retrollama HTML report in headless Chromium and
# fails if the browser cannot render it cleanly:
#
#   - chromium exits non-zero or times out,
#   - the page logs anything to the console (it has no JavaScript, so any
#     message is an error: a parse problem, a blocked resource, ...),
#   - the page makes any network request (it must be self-contained; DNS
#     is disabled, and the NetLog shows every request the page starts),
#   - the rendered DOM lacks the charts or the expected sections,
#   - no screenshot is produced.
#
# Usage: check_html.sh PAGE.html [SCREENSHOT.png]
# Environment: CHECK_HTML_SVGS is the number of <svg> charts expected (3);
# CHECK_HTML_SECTIONS the <h2> headings required, separated by "|"
# (a bench report's four; a "bench ops --sweep" page (report.SweepHTML)
# has "Environment|Charts|Results" and 2 charts).
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
	echo "usage: $0 PAGE.html [SCREENSHOT.png]" >&2
	exit 2
fi
page=$(realpath "$1")
want_svgs=${CHECK_HTML_SVGS:-3}
want_sections=${CHECK_HTML_SECTIONS:-Environment|Profiles|Comparisons|Correctness}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
shot=${2:-$work/report.png}
url="file://${page// /%20}"

flags=(
	--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
	--disable-background-networking --disable-component-update --disable-sync
	--enable-logging=stderr --log-level=0
	--host-resolver-rules="MAP * ~NOTFOUND"
)
chrome() {
	local profile
	profile=$(mktemp -d -p "$work")
	timeout 120 chromium "${flags[@]}" --user-data-dir="$profile" "$@"
}

fail=0
problem() {
	echo "FAIL: $*" >&2
	fail=1
}

if ! chrome --log-net-log="$work/net.json" --dump-dom "$url" >"$work/dom.html" 2>"$work/dom.err"; then
	cat "$work/dom.err" >&2
	problem "chromium --dump-dom failed"
fi
if ! chrome --screenshot="$shot" --window-size=1200,1600 "$url" >"$work/shot.out" 2>"$work/shot.err"; then
	cat "$work/shot.err" >&2
	problem "chromium --screenshot failed"
fi

# Console messages and renderer crashes. Chromium's own D-Bus and GPU
# complaints in a container are not about the page and are ignored.
if grep -hE 'CONSOLE|:FATAL:|crashed|Aw, Snap' "$work/dom.err" "$work/shot.err" >&2; then
	problem "chromium reported errors for the page (above)"
fi

# Requests the page itself started carry the file:// network isolation
# key; the browser's own background requests do not.
if [[ -f $work/net.json ]]; then
	if grep '"network_isolation_key":"file://' "$work/net.json" |
		grep -o '"url":"[^"]*"' | sort -u >&2; then
		problem "the page made network requests (above)"
	fi
else
	problem "no NetLog written"
fi

svgs=$(grep -o '<svg' "$work/dom.html" | wc -l || true)
if [[ $svgs -ne $want_svgs ]]; then
	problem "rendered DOM has $svgs <svg> elements, want $want_svgs"
fi
IFS='|' read -ra headings <<<"$want_sections"
for heading in "${headings[@]}"; do
	section="<h2>$heading</h2>"
	if ! grep -qF "$section" "$work/dom.html"; then
		problem "rendered DOM lacks $section"
	fi
done
if grep -qi '<script' "$work/dom.html"; then
	problem "rendered DOM contains a <script>"
fi

if [[ ! -s $shot ]] || [[ $(head -c 8 "$shot" | od -An -tx1 | tr -d ' \n') != 89504e470d0a1a0a ]]; then
	problem "no PNG screenshot at $shot"
fi

if [[ $fail -ne 0 ]]; then
	exit 1
fi
echo "ok: $page rendered in $(chromium --version 2>/dev/null | head -1): $svgs charts, no console messages, no network requests; screenshot $shot"
