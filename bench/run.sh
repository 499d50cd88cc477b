#!/usr/bin/env bash
# Runs every benchmark (the side-by-side comparisons in this module and the
# library packages' own) and writes ../BENCHMARKS.md.
#   COUNT=5 bash bench/run.sh          # default COUNT=3
set -euo pipefail
cd "$(dirname "$0")"
COUNT="${COUNT:-3}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
machine="$(go version | cut -d' ' -f3-4), $(nproc) cores ($cpu), $(free -g | awk '/Mem:/{print $2}') GiB, $(date -u +%Y-%m-%d)"
echo "== bench module (peers), count=$COUNT" >&2
go test -run '^$' -bench . -benchmem -count "$COUNT" -timeout 60m . | tee "$tmp/peer.txt" >&2
echo "== library packages, count=$COUNT" >&2
(cd .. && go test -run '^$' -bench . -benchmem -count "$COUNT" -timeout 60m \
  ./parser ./redis ./httpx ./kafka ./dubbo2 ./reassembly ./dump ./filter ./examples/pcapdecode) | tee "$tmp/pkg.txt" >&2
go run ./report -machine "$machine" -peer "$tmp/peer.txt" -pkg "$tmp/pkg.txt" > ../BENCHMARKS.md
echo "wrote BENCHMARKS.md" >&2
