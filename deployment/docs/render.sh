#!/bin/sh
# Renders every Markdown file under SRC (README.md, ARCHITECTURE.md, docs/,
# services/*/README.md, deployment/) to HTML under OUT, keeping the relative
# layout so that links between the files still resolve. README.md also
# becomes the site's index.html.
set -eu
src=$1
out=$2
filter=$(cd "$(dirname "$0")" && pwd)/links.lua
cd "$src"
find . -name '*.md' -not -path '*/node_modules/*' -not -path './target/*' | sort | while read -r md; do
  html=$out/${md%.md}.html
  mkdir -p "$(dirname "$html")"
  pandoc --from gfm --to html5 --standalone \
    --metadata pagetitle="GridFlock Connect: ${md#./}" \
    --lua-filter "$filter" --output "$html" "$md"
done
cp "$out/README.html" "$out/index.html"
