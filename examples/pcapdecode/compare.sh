#!/usr/bin/env bash
# compare.sh: pcapdecode against the library alone and against another
# pcapdecode build, on one capture, in paired interleaved rounds.
#
#   bash examples/pcapdecode/compare.sh CAPTURE [ROUNDS] [BEFORE]
#
# Each round runs, one after the other: the library alone (bench/cmd/libcount),
# pcapdecode -summary, pcapdecode -json > /dev/null, pcapdecode -json
# -redact off, and, when BEFORE (another pcapdecode binary, e.g. one built
# from an older commit) is given, BEFORE -json. CPU is user+system of the
# child from getrusage, to the microsecond (bench/cmd/rusage; /usr/bin/time
# rounds to 10 ms, 3% of the library's run), peak RSS its maxrss. Ratios are
# computed per round (the runs of one round share the host's load) and the
# medians over rounds printed, with the load average before and after.
# The binaries are built from the working tree into a temporary directory.
set -euo pipefail
cap=${1:?usage: compare.sh CAPTURE [ROUNDS] [BEFORE]}
rounds=${2:-7}
before=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$root" && go build -o "$tmp/pcapdecode" ./examples/pcapdecode)
(cd "$root/bench" && go build -o "$tmp/libcount" ./cmd/libcount && go build -o "$tmp/rusage" ./cmd/rusage)
tools=(library summary json jsonoff)
[ -n "$before" ] && tools+=(before)
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$rounds"); do
  for t in "${tools[@]}"; do
    case $t in
      library) cmd=("$tmp/libcount" "$cap") ;;
      summary) cmd=("$tmp/pcapdecode" -summary "$cap") ;;
      json)    cmd=("$tmp/pcapdecode" -json "$cap") ;;
      jsonoff) cmd=("$tmp/pcapdecode" -json -redact off "$cap") ;;
      before)  cmd=("$before" -json "$cap") ;;
    esac
    "$tmp/rusage" "$r $t" "${cmd[@]}" 2>>"$tmp/times" >/dev/null
  done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
awk -v tools="${tools[*]}" '
  # "ROUND TOOL user U sys S wall W maxrss KB exit CODE"
  $3 == "user" { cpu[$1, $2] = $4 + $6; rss[$1, $2] = $10; if ($1 > n) n = $1 }
  function median(a, k,   i, j, t) {
    for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
  }
  END {
    m = split(tools, ts, " ")
    printf "%-8s %8s %8s %8s %10s %10s\n", "tool", "cpu min", "cpu med", "cpu max", "maxrss KB", "ratio med"
    for (i = 1; i <= m; i++) {
      t = ts[i]; delete c; delete q; lo = 1e9; hi = 0; mr = 0
      for (r = 1; r <= n; r++) {
        c[r] = cpu[r, t]; if (c[r] < lo) lo = c[r]; if (c[r] > hi) hi = c[r]; if (rss[r, t] > mr) mr = rss[r, t]
        q[r] = cpu[r, t] / cpu[r, "library"]
      }
      printf "%-8s %8.3f %8.3f %8.3f %10d %9.2fx (of library)\n", t, lo, median(c, n), hi, mr, median(q, n)
    }
    for (i = 1; i <= m; i++) if (ts[i] == "before") {
      for (j = 1; j <= m; j++) if (ts[j] == "json" || ts[j] == "jsonoff") {
        delete q; for (r = 1; r <= n; r++) q[r] = cpu[r, "before"] / cpu[r, ts[j]]
        printf "before -json / %s: median per-round CPU ratio %.2fx\n", ts[j], median(q, n)
      }
    }
    printf "per round (cpu s):"; for (i = 1; i <= m; i++) printf " %s", ts[i]; printf "\n"
    for (r = 1; r <= n; r++) { printf "  %d", r; for (i = 1; i <= m; i++) printf " %.3f", cpu[r, ts[i]]; printf "\n" }
  }' "$tmp/times"
