package main

import (
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
	"time"
	"unsafe"

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
// latency histograms, without allocating per exchange. A connection keeps
// its protocol's summary (StreamInfo.sum), so finding it costs no lookup.
// An operation is found from the attribute values its name is made of
// (opParts): by their addresses when both are stable (a protocol's
// interned names, such as Redis commands, which never change at an
// address), in the last operation's slot or a small direct-mapped table;
// otherwise (values aliasing the message, such as HTTP paths) by their
// text against the last operation's; and only when those miss is the name
// built, in a reused buffer, and looked up in the map of names. Latencies
// go into fixed-size histograms.
type summary struct {
	protos map[string]*protoSummary
	key    []byte
	total  [5]uint64 // exchanges by kind, all protocols
}

type protoSummary struct {
	name   string
	kind   protoKind
	kinds  [5]uint64
	errors uint64
	ops    map[string]*opSummary
	// Operations by the addresses of their stable parts: the last one
	// and a direct-mapped table.
	last  opSlot
	slots [64]opSlot
	// The last operation found by text, with its parts (copied: they
	// alias the message).
	lastA, lastB []byte
	lastOp       *opSummary
}

// opSlot is an operation by its two parts, both stable strings or
// absent: two such Values are == exactly when they are the same text at
// the same address (see parser.Value), which stays that text for ever.
type opSlot struct {
	a, b parser.Value
	op   *opSummary
}

type opSummary struct {
	name          string // the key in protoSummary.ops
	count, errors uint64
	latency       metrics.Histogram
}

func newSummary() *summary { return &summary{protos: map[string]*protoSummary{}} }

// protocol returns the summary of r's protocol and keeps it in r's
// connection.
func (s *summary) protocol(r *Record) *protoSummary {
	p := s.protos[r.Protocol]
	if p == nil {
		p = &protoSummary{name: r.Protocol, kind: kindOf(r.Protocol), ops: map[string]*opSummary{}}
		s.protos[r.Protocol] = p
	}
	r.Stream.sum = p
	return p
}

func (s *summary) add(r *Record) {
	if int(r.Kind) < len(s.total) {
		s.total[r.Kind]++
	}
	p := r.Stream.sum
	if p == nil || !sameString(p.name, r.Protocol) {
		p = s.protocol(r)
	}
	if int(r.Kind) < len(p.kinds) {
		p.kinds[r.Kind]++
	}
	if r.Kind == parser.Push {
		return
	}
	o := s.operation(p, r)
	o.count++
	if isError(p.kind, r.Response) {
		o.errors++
		p.errors++
	}
	if r.Kind == parser.Complete {
		o.latency.Record(r.latency())
	}
}

// stable reports whether v is a stable string or absent: its address and
// length then identify its text for ever.
func stable(v parser.Value) bool { return v.Stable() || v.Kind() == parser.KindNone }

// operation returns the summary of r's operation.
func (s *summary) operation(p *protoSummary, r *Record) *opSummary {
	a, b, named := opParts(p.kind, r.Protocol, r.Request)
	if !named {
		return s.byName(p, r)
	}
	if l := &p.last; l.op != nil && a == l.a && b == l.b {
		return l.op
	}
	if stable(a) && stable(b) {
		ta, tb := a.UnsafeStr(), b.UnsafeStr()
		pa, pb := uintptr(unsafe.Pointer(unsafe.StringData(ta))), uintptr(unsafe.Pointer(unsafe.StringData(tb)))
		sl := &p.slots[(pa>>3^pa>>9^pb>>3^uintptr(len(ta))<<2^uintptr(len(tb)))&uintptr(len(p.slots)-1)]
		if sl.op == nil || sl.a != a || sl.b != b {
			*sl = opSlot{a: a, b: b, op: s.byName(p, r)}
		}
		p.last = *sl
		return sl.op
	}
	ta, tb := a.UnsafeStr(), b.UnsafeStr()
	if p.lastOp != nil && string(p.lastA) == ta && string(p.lastB) == tb {
		return p.lastOp
	}
	p.lastA, p.lastB = append(p.lastA[:0], ta...), append(p.lastB[:0], tb...)
	p.lastOp = s.byName(p, r)
	return p.lastOp
}

// byName builds the name of r's operation and looks it up, adding it
// while the protocol has fewer than maxOps (else it is counted under
// otherOps).
func (s *summary) byName(p *protoSummary, r *Record) *opSummary {
	s.key = appendOperation(s.key[:0], r.Protocol, r.Request)
	o := p.ops[string(s.key)]
	if o != nil {
		return o
	}
	if len(p.ops) >= maxOps {
		s.key = append(s.key[:0], otherOps...)
		o = p.ops[otherOps]
	}
	if o == nil {
		o = &opSummary{name: string(s.key)}
		p.ops[o.name] = o
	}
	return o
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
