package main

import (
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/wirekit/wirekit/metrics"
	"github.com/wirekit/wirekit/parser"
)

// maxOps bounds the operations the summary tells apart per protocol (HTTP
// paths are as many as a client makes up); the rest are counted together
// under otherOps. With a fixed-size histogram each, this bounds the
// summary's memory (about 4.7 MB per protocol at worst).
const (
	maxOps   = 512
	otherOps = "(other operations)"
)

// summary accumulates per-protocol and per-operation counts, errors and
// latency histograms, without allocating per exchange: the operation name
// is built in a reused buffer and looked up without a copy (with a
// one-entry cache for runs of the same operation), and latencies go into
// fixed-size histograms.
type summary struct {
	protos map[string]*protoSummary
	last   *protoSummary
	key    []byte
	total  [5]uint64 // exchanges by kind, all protocols
}

type protoSummary struct {
	name   string
	kinds  [5]uint64
	errors uint64
	ops    map[string]*opSummary
	// The last operation seen, by the two parts its name is made of
	// (copied: the parts alias the message).
	lastA, lastB []byte
	lastOp       *opSummary
}

type opSummary struct {
	name          string // the key in protoSummary.ops
	count, errors uint64
	latency       metrics.Histogram
}

func newSummary() *summary { return &summary{protos: map[string]*protoSummary{}} }

func (s *summary) add(r *Record) {
	if int(r.Kind) < len(s.total) {
		s.total[r.Kind]++
	}
	p := s.last
	if p == nil || p.name != r.Protocol {
		if p = s.protos[r.Protocol]; p == nil {
			p = &protoSummary{name: r.Protocol, ops: map[string]*opSummary{}}
			s.protos[r.Protocol] = p
		}
		s.last = p
	}
	if int(r.Kind) < len(p.kinds) {
		p.kinds[r.Kind]++
	}
	if r.Kind == parser.Push {
		return
	}
	a, b := opParts(r.Protocol, r.Request)
	o := p.lastOp
	if o == nil || a == "" || string(p.lastA) != a || string(p.lastB) != b {
		p.lastA, p.lastB = append(p.lastA[:0], a...), append(p.lastB[:0], b...)
		s.key = appendOperation(s.key[:0], r.Protocol, r.Request)
		if o = p.ops[string(s.key)]; o == nil {
			if len(p.ops) >= maxOps {
				s.key = append(s.key[:0], otherOps...)
				o = p.ops[otherOps]
			}
			if o == nil {
				o = &opSummary{name: string(s.key)}
				p.ops[o.name] = o
			}
		}
		p.lastOp = o
	}
	o.count++
	if isError(r.Protocol, r.Response) {
		o.errors++
		p.errors++
	}
	if r.Kind == parser.Complete {
		o.latency.Record(r.latency())
	}
}

func (s *summary) write(w io.Writer, d *Decoder, elapsed time.Duration) {
	names := make([]string, 0, len(s.protos))
	for n := range s.protos {
		names = append(names, n)
	}
	sort.Strings(names)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	var lb []byte
	lat := func(d time.Duration) []byte { lb = appendLatency(lb[:0], d); return lb }
	for _, n := range names {
		p := s.protos[n]
		fmt.Fprintf(tw, "%s: %d complete, %d one-way, %d unanswered, %d unmatched responses, %d pushes, %d errors\n",
			n, p.kinds[parser.Complete], p.kinds[parser.OneWayRequest], p.kinds[parser.Unanswered],
			p.kinds[parser.UnmatchedResponse], p.kinds[parser.Push], p.errors)
		fmt.Fprintln(tw, "  OPERATION\tCOUNT\tERRORS\tP50\tP90\tP99\tP99.9\tMAX")
		ops := make([]string, 0, len(p.ops))
		for op := range p.ops {
			ops = append(ops, op)
		}
		sort.Strings(ops)
		for _, op := range ops {
			o := p.ops[op]
			h := &o.latency
			fmt.Fprintf(tw, "  %s\t%d\t%d", clip([]byte(op), 0, 60), o.count, o.errors)
			if h.Count() == 0 {
				fmt.Fprint(tw, "\t-\t-\t-\t-\t-\n")
				continue
			}
			for _, q := range []float64{.5, .9, .99, .999} {
				fmt.Fprintf(tw, "\t%s", lat(h.Quantile(q)))
			}
			fmt.Fprintf(tw, "\t%s\n", lat(h.Max()))
		}
	}
	tw.Flush()
	fmt.Fprintf(w, "latency percentiles from log-bucketed histograms: within %.1f%% of the exact value; max is exact\n",
		100*metrics.RelativeError)

	// Everything not parsed, so that nothing is lost silently.
	as := d.AssemblerStats()
	fmt.Fprintf(w, "capture: %d packets, %d TCP, %d not TCP, %d IP fragments, %d malformed, %d truncated by snaplen, in %v\n",
		d.pcap.Packets, d.pcap.TCP, d.pcap.NotTCP, d.pcap.Fragments, d.pcap.Malformed, as.Truncated, elapsed.Round(time.Millisecond))
	fmt.Fprintf(w, "tcp: %d payload bytes, %d connections, %d out-of-order, %d retransmitted, %d gaps (%d bytes lost), %d evicted\n",
		as.Bytes, as.ConnsOpened, as.OutOfOrder, as.Retransmitted, as.Gaps, as.BytesLost, as.ConnsEvicted)
	var undetected, stopped, parseErrs, truncated uint64
	for _, st := range d.Streams() {
		parseErrs += st.Conn.ParseErrors[0] + st.Conn.ParseErrors[1]
		truncated += st.Conn.Truncated[0] + st.Conn.Truncated[1]
		switch {
		case st.Protocol == "" && st.Bytes[0]+st.Bytes[1] > 0:
			undetected++
			fmt.Fprintf(w, "  not parsed: %v -> %v: protocol not detected (%d+%d bytes)\n", st.Client, st.Server, st.Bytes[0], st.Bytes[1])
		case st.Err != nil:
			stopped++
			fmt.Fprintf(w, "  stopped: %v -> %v (%s): %v (%d+%d bytes skipped)\n", st.Client, st.Server, st.Protocol, st.Err, st.Skipped[0], st.Skipped[1])
		}
	}
	fmt.Fprintf(w, "streams: %d undetected, %d stopped on an error, %d messages that did not parse, %d truncated messages\n",
		undetected, stopped, parseErrs, truncated)
}

// writeTotal writes the line under the table: the exchanges by kind and
// what the capture held.
func (s *summary) writeTotal(w io.Writer, d *Decoder, o *orderer) {
	t := &s.total
	fmt.Fprintf(w, "total: %d exchanges (%d complete, %d one-way, %d unanswered, %d unmatched responses), %d pushes; %d connections, %d packets",
		t[parser.Complete]+t[parser.OneWayRequest]+t[parser.Unanswered]+t[parser.UnmatchedResponse],
		t[parser.Complete], t[parser.OneWayRequest], t[parser.Unanswered], t[parser.UnmatchedResponse], t[parser.Push],
		len(d.Streams()), d.pcap.Packets)
	if o != nil && o.late+o.forced > 0 {
		fmt.Fprintf(w, "; %d rows out of time order", o.late)
	}
	fmt.Fprintln(w)
}
