#!/usr/bin/env bash
# Refresh the vendored front-end files from the npm registry. The outputs are committed, so
# `make run` never needs Node.js; run this only to upgrade the design tokens or htmx.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
( cd "$tmp" && npm pack --silent @digital-go-jp/design-tokens@1 htmx.org@2 >/dev/null && for f in *.tgz; do mkdir "${f%.tgz}" && tar xzf "$f" -C "${f%.tgz}"; done )
tokens=$(ls -d "$tmp"/digital-go-jp-design-tokens-*/package)
htmx=$(ls -d "$tmp"/htmx.org-*/package)
out=src/kijun/web/static/vendor
ver=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['version'])" "$tokens/package.json")
{ echo "/* @digital-go-jp/design-tokens $ver — MIT License, Copyright (c) 2023 デジタル庁 (Digital Agency). Vendored by 'make assets'. */"; cat "$tokens/dist/tokens.css"; } > "$out/dads-tokens.css"
cp "$htmx/dist/htmx.min.js" "$out/htmx.min.js"
echo "updated $out (design tokens $ver)"
