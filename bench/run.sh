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
# One process per family (Dubbo2, Dump, Filter, HTTP, ...): a family's
# benchmarks then do not run on a heap, GC pace and background goroutines
# left by the families before it, which skewed the later ones.
go test -c -o "$tmp/bench.test" .
families=$(go test -list '^Benchmark' . | sed -n 's/^Benchmark\(HTTP\|[A-Z][a-z0-9]*\).*/\1/p' | sort -u)
: > "$tmp/peer.txt"
for f in $families; do
  "$tmp/bench.test" -test.run '^$' -test.bench "^Benchmark$f" -test.benchmem -test.count "$COUNT" -test.timeout 60m | tee -a "$tmp/peer.txt" >&2
done
echo "== library packages, count=$COUNT" >&2
(cd .. && go test -run '^$' -bench . -benchmem -count "$COUNT" -timeout 60m \
  ./parser ./redis ./httpx ./kafka ./dubbo2 ./reassembly ./dump ./filter ./examples/pcapdecode) | tee "$tmp/pkg.txt" >&2
go run ./report -machine "$machine" -peer "$tmp/peer.txt" -pkg "$tmp/pkg.txt" > ../BENCHMARKS.md
echo "wrote BENCHMARKS.md" >&2
