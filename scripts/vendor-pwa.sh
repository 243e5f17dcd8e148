#!/bin/sh
# Refresh the browser libraries the handheld PWA loads from pwa/vendor/.
# Nothing is fetched from a CDN at run time: each library is copied here from
# its npm tarball (ESM build + licence) and committed. Versions are pinned
# below; bump one deliberately, run this, test, and commit the result.
#
#   scripts/vendor-pwa.sh            # the pinned versions
#   IDB=8.0.5 scripts/vendor-pwa.sh  # try another version of one library
set -eu
IDB="${IDB:-8.0.4}"
SOCKETIO="${SOCKETIO:-4.8.4}"
BARCODE_DETECTOR="${BARCODE_DETECTOR:-3.2.2}"

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/pwa/vendor"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

unpack() {  # unpack NAME VERSION -> $TMP/NAME/package
  mkdir -p "$TMP/$1"
  (cd "$TMP/$1" && npm pack "$1@$2" --silent >/dev/null && tar xzf ./*.tgz)
}

unpack idb "$IDB"
unpack socket.io-client "$SOCKETIO"
unpack barcode-detector "$BARCODE_DETECTOR"
# The ponyfill bundles zxing-wasm's JavaScript and fetches the matching .wasm
# at run time, so the wasm must come from exactly the version it depends on.
ZXING="$(node -p "require('$TMP/barcode-detector/package/package.json').dependencies['zxing-wasm']")"
unpack zxing-wasm "$ZXING"

rm -rf "$DEST"
mkdir -p "$DEST/idb" "$DEST/socket.io-client" "$DEST/barcode-detector" "$DEST/zxing-wasm"

cp "$TMP/idb/package/build/index.js" "$TMP/idb/package/LICENSE" "$DEST/idb/"

cp "$TMP/socket.io-client/package/dist/socket.io.esm.min.js" \
   "$TMP/socket.io-client/package/dist/socket.io.esm.min.js.map" \
   "$TMP/socket.io-client/package/LICENSE" "$DEST/socket.io-client/"

cp "$TMP/barcode-detector/package/dist/es/ponyfill.js" \
   "$TMP/barcode-detector/package/dist/es/zxing-exported.js" \
   "$TMP/barcode-detector/package/LICENSE" "$DEST/barcode-detector/"

cp "$TMP/zxing-wasm/package/dist/reader/zxing_reader.wasm" \
   "$TMP/zxing-wasm/package/LICENSE" "$DEST/zxing-wasm/"

# The wasm must be the one the ponyfill was built against (it checks nothing itself).
WANT="$(grep -o '"[0-9a-f]\{64\}"' "$DEST/barcode-detector/zxing-exported.js" | head -1 | tr -d '"')"
GOT="$(sha256sum "$DEST/zxing-wasm/zxing_reader.wasm" | cut -d' ' -f1)"
if [ "$WANT" != "$GOT" ]; then
  echo "zxing_reader.wasm sha256 $GOT does not match the ponyfill's $WANT" >&2
  exit 1
fi

cat > "$DEST/VERSIONS" <<EOF
# Vendored browser libraries for pwa/, refreshed by scripts/vendor-pwa.sh.
# name version files licence
idb $IDB idb/index.js ISC
socket.io-client $SOCKETIO socket.io-client/socket.io.esm.min.js MIT
barcode-detector $BARCODE_DETECTOR barcode-detector/ponyfill.js,barcode-detector/zxing-exported.js MIT
zxing-wasm $ZXING zxing-wasm/zxing_reader.wasm(sha256:$GOT) MIT
EOF
echo "vendored into $DEST:"
cat "$DEST/VERSIONS"
