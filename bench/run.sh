#!/usr/bin/env bash
# Runs every benchmark (the side-by-side comparisons in this module, the
# library packages' own, and the whole-capture case against tshark) and
# writes ../BENCHMARKS.md and the speed table of ../README.md. Sections of BENCHMARKS.md this script does not
# generate (other "## ..." sections) are kept as they are, after its own.
#   COUNT=5 bash bench/run.sh          # default COUNT=3
#   SKIP_PEERS=1 SKIP_PKG=1 bash bench/run.sh   # only the whole-capture case
#   RAW=/tmp/raw bash bench/run.sh     # also keep the raw benchmark output
#
# Side by side: each benchmark runs in a process of its own, once per round,
# and the rounds are interleaved (round 1 runs every case's sides one after
# the other, then round 2 in the reverse order, ...), so that the two sides
# of a comparison see the same host load; ratios are computed per round
# (peer / wirekit of the same round) and their median reported, for wall
# time (ns/op) and for CPU time (cpu-ns/op, getrusage: what the process
# used, whatever the load). The load average is printed before and after.
set -euo pipefail
cd "$(dirname "$0")"
COUNT="${COUNT:-3}"
tmp=$(mktemp -d)
cleanup() {
  [ -n "${redis_port:-}" ] && redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
load0=$(cut -d' ' -f1-3 /proc/loadavg)
machine="$(go version | cut -d' ' -f3-4), $(nproc) cores ($cpu), $(free -g | awk '/Mem:/{print $2}') GiB, $(date -u +%Y-%m-%d)"
echo "== load average at start: $load0" >&2

: > "$tmp/peer.txt"
if [ -z "${SKIP_PEERS:-}" ]; then
  echo "== bench module (peers), $COUNT interleaved rounds" >&2
  go test -c -o "$tmp/bench.test" .
  mapfile -t benches < <("$tmp/bench.test" -test.list '^Benchmark' | grep '^Benchmark')
  for round in $(seq "$COUNT"); do
    order=("${benches[@]}")
    if [ $((round % 2)) -eq 0 ]; then
      mapfile -t order < <(printf '%s\n' "${benches[@]}" | tac)
    fi
    for b in "${order[@]}"; do
      "$tmp/bench.test" -test.run '^$' -test.bench "^$b\$" -test.benchmem -test.count 1 -test.timeout 30m \
        | grep '^Benchmark' | sed "s/\$/ round $round/" | tee -a "$tmp/peer.txt" >&2
    done
  done
fi

: > "$tmp/pkg.txt"
if [ -z "${SKIP_PKG:-}" ]; then
  echo "== library packages, count=$COUNT" >&2
  (cd .. && go test -run '^$' -bench . -benchmem -count "$COUNT" -timeout 60m \
    ./metrics ./parser ./protocols ./redis ./httpx ./kafka ./dubbo2 ./reassembly ./dump ./filter ./filter/deny ./filter/sniff \
    ./capture/filterexpr ./examples/pcapdecode) | tee "$tmp/pkg.txt" >&2
fi

# Whole capture: a capture of a real redis-server under redis-benchmark -P 16
# (made here, on loopback), decoded by the library alone (cmd/libcount: a
# Sniffer per connection and a counting callback), by pcapdecode -summary and
# -json, and by tshark without and with the Redis dissector. Needs
# redis-server, redis-benchmark, tshark and tcpdump or dumpcap (root, for the
# loopback capture); skipped with a note otherwise.
: > "$tmp/capture.txt"
capture_note=""
if command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null && command -v tshark >/dev/null &&
   { command -v tcpdump >/dev/null || command -v dumpcap >/dev/null; }; then
  echo "== whole capture: redis-benchmark -P 16 against redis-server, $COUNT interleaved rounds" >&2
  redis_port=17479
  cap="$tmp/redis-benchmark.pcap"
  redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes --logfile "$tmp/redis.log"
  for _ in $(seq 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  # A capture with kernel drops has gaps, and its out-of-order data is held
  # by the reassembler (peak RSS then measures the capture, not the tool):
  # up to three tries for one without drops, a 64 MiB capture buffer each.
  dropped=-1
  for try in 1 2 3; do
    if command -v tcpdump >/dev/null; then
      tcpdump -i lo -U -B 65536 -s 0 -w "$cap" "tcp port $redis_port" 2>"$tmp/capture.log" & cap_pid=$!
    else
      dumpcap -i lo -B 64 -s 0 -F pcap -w "$cap" -f "tcp port $redis_port" 2>"$tmp/capture.log" & cap_pid=$!
    fi
    sleep 2
    redis-benchmark -p "$redis_port" -P 16 -n 1000000 -t set,get -q >/dev/null
    sleep 1
    kill -INT "$cap_pid"; wait "$cap_pid" 2>/dev/null || true
    dropped=$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "$tmp/capture.log" | head -1)
    dropped=${dropped:-0}
    echo "== capture try $try: $dropped packets dropped by the kernel" >&2
    [ "$dropped" -eq 0 ] && break
  done
  redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
  go build -o "$tmp/rusage" ./cmd/rusage
  go build -o "$tmp/libcount" ./cmd/libcount
  (cd .. && go build -o "$tmp/pcapdecode" ./examples/pcapdecode)
  bytes=$(stat -c %s "$cap")
  exchanges=$("$tmp/libcount" "$cap" | sed -n 's/.* \([0-9]*\) exchanges.*/\1/p')
  echo "capture bytes $bytes exchanges $exchanges packets $(tshark -r "$cap" -q -z io,stat,0 2>/dev/null | awk '/<>/{print $6; exit}') dropped $dropped" >> "$tmp/capture.txt"
  tools=(library summary json tshark tsharkresp)
  for round in $(seq "$COUNT"); do
    for t in "${tools[@]}"; do
      case $t in
        library)    cmd=("$tmp/libcount" "$cap") ;;
        summary)    cmd=("$tmp/pcapdecode" -summary "$cap") ;;
        json)       cmd=("$tmp/pcapdecode" -json "$cap") ;;
        tshark)     cmd=(tshark -n -q -r "$cap" -z io,stat,0) ;;
        tsharkresp) cmd=(tshark -n -q -r "$cap" -d "tcp.port==$redis_port,resp" -Y resp -z io,stat,0) ;;
      esac
      "$tmp/rusage" "$t round $round" "${cmd[@]}" 2>&1 >/dev/null | grep ' maxrss ' | tee -a "$tmp/capture.txt" >&2
    done
  done
else
  capture_note="skipped: needs redis-server, redis-benchmark, tshark and tcpdump or dumpcap"
  echo "== whole capture $capture_note" >&2
fi

load1=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== load average at end: $load1" >&2
[ -f ../BENCHMARKS.md ] && cp ../BENCHMARKS.md "$tmp/old.md" || : > "$tmp/old.md"
go run ./report -machine "$machine" -load "$load0 at start, $load1 at end" -peer "$tmp/peer.txt" -pkg "$tmp/pkg.txt" \
  -capture "$tmp/capture.txt" -capture-note "$capture_note" -keep "$tmp/old.md" -readme ../README.md > "$tmp/new.md"
mv "$tmp/new.md" ../BENCHMARKS.md
# RAW=dir keeps the raw benchmark output, to rerun the report on it alone.
[ -n "${RAW:-}" ] && mkdir -p "$RAW" && cp "$tmp"/peer.txt "$tmp"/pkg.txt "$tmp"/capture.txt "$RAW"/
echo "wrote BENCHMARKS.md" >&2
