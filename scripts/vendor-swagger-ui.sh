#!/bin/sh
# Refresh the vendored Swagger UI (served at /api/docs) from the npm registry.
# The version is pinned here; bump it deliberately and commit the result.
set -eu
VERSION="${1:-5.35.0}"
DEST="$(cd "$(dirname "$0")/.." && pwd)/edge/static/swagger-ui"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
(cd "$TMP" && npm pack "swagger-ui-dist@$VERSION" --silent >/dev/null && tar xzf "swagger-ui-dist-$VERSION.tgz")
mkdir -p "$DEST"
for f in swagger-ui-bundle.js swagger-ui-bundle.js.LICENSE.txt swagger-ui.css LICENSE NOTICE favicon-32x32.png; do
  cp "$TMP/package/$f" "$DEST/"
done
echo "$VERSION" > "$DEST/VERSION"
echo "swagger-ui-dist $VERSION -> $DEST"
