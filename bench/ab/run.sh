#!/usr/bin/env bash
# Same-process A/B of the Kafka and Redis parsing benchmarks: this tree
# against an older commit (default a1da630, the tree before issue 15),
# both linked into one binary (the old one's module path renamed), the two
# sides alternating in blocks on one locked thread, timed with the thread's
# CPU clock. Each process has its own memory layout, which moves a side by
# a few percent, so it runs RUNS processes and prints the median, per case,
# of their median per-block ratios (this tree / the old one).
#   bash bench/ab/run.sh [COMMIT] [RUNS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
commit=${1:-a1da630}
runs=${2:-12}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/old" "$tmp/ab"
git -C "$root" archive "$commit" | tar -x -C "$tmp/old"
rm -rf "$tmp/old/bench" "$tmp/old/examples"
grep -rl 'github.com/wirekit/wirekit' --include='*.go' --include=go.mod "$tmp/old" |
  xargs sed -i 's#github.com/wirekit/wirekit\b#github.com/wirekit/wirekitb#g'
cp "$here/main.go" "$tmp/ab/main.go"
sed -i '/^\/\/go:build ignore$/d' "$tmp/ab/main.go"
cat > "$tmp/ab/go.mod" <<MOD
module ab

go 1.26.0

require (
	github.com/wirekit/wirekit v0.0.0
	github.com/wirekit/wirekitb v0.0.0
)

replace github.com/wirekit/wirekit => $root

replace github.com/wirekit/wirekitb => $tmp/old
MOD
(cd "$tmp/ab" && GOFLAGS=-mod=mod go mod tidy >/dev/null 2>&1 && go build -o ab .)
for i in $(seq "$runs"); do
  WIREKIT=$root "$tmp/ab/ab" -blocks 100 -n 10000 | tail -n +3
done | python3 -c '
import sys, statistics
rows = {}
for line in sys.stdin:
    f = [x.strip() for x in line.strip().strip("|").split("|")]
    rows.setdefault(f[0], []).append((float(f[1]), float(f[2]), float(f[3])))
print("| case | old ns/op | this tree ns/op | this tree / old (median of %d processes) | range |" % len(next(iter(rows.values()))))
print("|---|---:|---:|---:|---|")
for k, v in rows.items():
    r = [x[2] for x in v]
    print("| %s | %.1f | %.1f | %.3f | %.3f-%.3f |" % (k, statistics.median(x[0] for x in v), statistics.median(x[1] for x in v), statistics.median(r), min(r), max(r)))
'
