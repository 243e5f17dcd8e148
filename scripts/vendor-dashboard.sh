#!/bin/sh
# Refresh the chart library the supervisor dashboard loads from
# edge/static/dashboard/vendor/. Nothing comes from a CDN at run time: the ESM
# build, its stylesheet and licence are copied here from the npm tarball and
# committed. The version is pinned below; bump it deliberately, run this, run
# tests/test_dashboard_browser.py, and commit the result.
#
#   scripts/vendor-dashboard.sh                 # the pinned version
#   UPLOT=1.6.33 scripts/vendor-dashboard.sh    # try another
#
# socket.io-client is not vendored twice: the dashboard imports the PWA's copy
# (pwa/vendor/, served at /app/vendor/), refreshed by scripts/vendor-pwa.sh.
set -eu
UPLOT="${UPLOT:-1.6.32}"

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/edge/static/dashboard/vendor"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

(cd "$TMP" && npm pack "uplot@$UPLOT" --silent >/dev/null && tar xzf ./*.tgz)

rm -rf "$DEST"
mkdir -p "$DEST/uplot"
cp "$TMP/package/dist/uPlot.esm.js" "$TMP/package/dist/uPlot.min.css" "$TMP/package/LICENSE" "$DEST/uplot/"
SUM="$(sha256sum "$DEST/uplot/uPlot.esm.js" | cut -d' ' -f1)"

cat > "$DEST/VERSIONS" <<EOV
# Vendored browser libraries for the dashboard, refreshed by scripts/vendor-dashboard.sh.
# name version files licence
uplot $UPLOT uplot/uPlot.esm.js(sha256:$SUM),uplot/uPlot.min.css MIT
EOV
echo "vendored into $DEST:"
cat "$DEST/VERSIONS"
