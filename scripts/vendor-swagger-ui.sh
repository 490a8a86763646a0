#!/usr/bin/env bash
# Vendor swagger-ui-dist from the npm registry into bot/web/api/static/swagger-ui/ (the API docs
# page at /api/docs serves these files; nothing is loaded from a CDN at run time).
#   bash scripts/vendor-swagger-ui.sh            # the version pinned below
#   SWAGGER_UI_VERSION=5.x.y bash scripts/vendor-swagger-ui.sh
set -euo pipefail
VERSION="${SWAGGER_UI_VERSION:-5.35.0}"
HERE="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$HERE/bot/web/api/static/swagger-ui"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
(cd "$TMP" && npm pack --silent "swagger-ui-dist@$VERSION" >/dev/null && tar -xzf swagger-ui-dist-*.tgz)
rm -rf "$DEST"
mkdir -p "$DEST"
for f in swagger-ui.css swagger-ui-bundle.js favicon-32x32.png LICENSE; do
  cp "$TMP/package/$f" "$DEST/"
done
INTEGRITY="$(cd "$TMP" && sha256sum swagger-ui-dist-*.tgz | cut -d' ' -f1)"
printf 'swagger-ui-dist %s (npm), tarball sha256 %s\n' "$(node -p "require('$TMP/package/package.json').version")" "$INTEGRITY" > "$DEST/VERSION"
cat "$DEST/VERSION"
