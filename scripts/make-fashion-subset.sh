#!/usr/bin/env bash
# Makes assets/data/fashion-mnist-2k: the first N (default 2000) images and labels of the Fashion-MNIST TEST set,
# from Debian's dataset-fashion-mnist package (apt-get install dataset-fashion-mnist), as gzip IDX files.
set -eu   # no pipefail: head closes the pipe early on purpose
n="${1:-2000}"
src="${FASHION_DIR:-/usr/share/datasets/fashion-mnist}"
out="$(dirname "$0")/../assets/data/fashion-mnist-${n/%000/k}"
mkdir -p "$out"
be32() { printf "\\x$(printf %02x $(( ($1 >> 24) & 255 )))\\x$(printf %02x $(( ($1 >> 16) & 255 )))\\x$(printf %02x $(( ($1 >> 8) & 255 )))\\x$(printf %02x $(( $1 & 255 )))"; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
{ printf '\x00\x00\x08\x03'; be32 "$n"; be32 28; be32 28; zcat "$src/t10k-images-idx3-ubyte.gz" | tail -c +17 | head -c $((n * 784)); } \
  | gzip -9n > "$tmp/images.idx3-ubyte.gz"
{ printf '\x00\x00\x08\x01'; be32 "$n"; zcat "$src/t10k-labels-idx1-ubyte.gz" | tail -c +9 | head -c "$n"; } \
  | gzip -9n > "$tmp/labels.idx1-ubyte.gz"
mv "$tmp/images.idx3-ubyte.gz" "$tmp/labels.idx1-ubyte.gz" "$out/"
echo "wrote $out"
