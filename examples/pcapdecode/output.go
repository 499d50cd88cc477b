package main

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wirekit/wirekit/parser"
)

// tableWriter prints exchanges as an aligned table.
type tableWriter struct {
	tw *tabwriter.Writer
}

func newTableWriter(w io.Writer) *tableWriter {
	t := &tableWriter{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
	fmt.Fprintln(t.tw, "TIME\tCLIENT\tSERVER\tPROTO\tKIND\tREQUEST\tRESPONSE\tLATENCY")
	return t
}

func (t *tableWriter) write(r *Record) {
	ts := r.RequestTime
	if ts.IsZero() {
		ts = r.ResponseTime
	}
	lat := "-"
	if r.Kind == parser.Complete {
		lat = r.Latency().Round(time.Microsecond).String()
	}
	fmt.Fprintf(t.tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", ts.UTC().Format("15:04:05.000000"),
		r.Client, r.Server, r.Protocol, r.Kind, clip(requestSummary(r.Protocol, r.Request)),
		clip(responseSummary(r.Protocol, r.Response)), lat)
}

func (t *tableWriter) flush() error { return t.tw.Flush() }

func clip(s string) string {
	const max = 60
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return '.'
		}
		return r
	}, s)
	if len(s) > max {
		return s[:max-3] + "..."
	}
	return s
}

// appendJSON appends one exchange as a JSON object (one line of -json).
// The attribute names are the protocol packages' constants, the same as
// the corpus truth files use.
func appendJSON(b []byte, r *Record) []byte {
	b = append(b, `{"protocol":`...)
	b = strconv.AppendQuote(b, r.Protocol)
	b = append(b, `,"client":"`...)
	b = r.Client.AppendTo(b)
	b = append(b, `","server":"`...)
	b = r.Server.AppendTo(b)
	b = append(b, `","kind":"`...)
	b = append(b, r.Kind.String()...)
	b = append(b, `","request":`...)
	b = appendAttrs(b, r.Request)
	b = append(b, `,"response":`...)
	b = appendAttrs(b, r.Response)
	if !r.RequestTime.IsZero() {
		b = append(b, `,"request_time":"`...)
		b = r.RequestTime.UTC().AppendFormat(b, time.RFC3339Nano)
		b = append(b, '"')
	}
	if !r.ResponseTime.IsZero() {
		b = append(b, `,"response_time":"`...)
		b = r.ResponseTime.UTC().AppendFormat(b, time.RFC3339Nano)
		b = append(b, '"')
	}
	if r.Kind == parser.Complete {
		b = append(b, `,"latency_us":`...)
		b = strconv.AppendFloat(b, float64(r.Latency().Nanoseconds())/1e3, 'f', -1, 64)
	}
	if r.RequestSeq > 0 {
		b = append(b, `,"seq":`...)
		b = strconv.AppendUint(b, r.RequestSeq, 10)
	}
	for _, e := range []struct {
		k   string
		err error
	}{{"request_error", r.RequestErr}, {"response_error", r.ResponseErr}, {"reason", r.Reason}} {
		if e.err != nil {
			b = append(b, `,"`+e.k+`":`...)
			b = strconv.AppendQuote(b, e.err.Error())
		}
	}
	return append(b, "}\n"...)
}

func appendAttrs(b []byte, a *parser.Attributes) []byte {
	if a == nil {
		return append(b, "null"...)
	}
	return a.AppendJSON(b)
}

// summary accumulates per-protocol and per-operation statistics.
type summary struct {
	protos map[string]*protoSummary
}

type protoSummary struct {
	kinds  [5]uint64
	errors uint64
	ops    map[string]*opSummary
}

type opSummary struct {
	count, errors uint64
	latencies     []time.Duration
}

func newSummary() *summary { return &summary{protos: map[string]*protoSummary{}} }

func (s *summary) add(r *Record) {
	p := s.protos[r.Protocol]
	if p == nil {
		p = &protoSummary{ops: map[string]*opSummary{}}
		s.protos[r.Protocol] = p
	}
	if int(r.Kind) < len(p.kinds) {
		p.kinds[r.Kind]++
	}
	if r.Kind == parser.Push {
		return
	}
	op := operation(r.Protocol, r.Request)
	o := p.ops[op]
	if o == nil {
		o = &opSummary{}
		// op may alias message memory that is reused after this call.
		p.ops[strings.Clone(op)] = o
	}
	o.count++
	if isError(r.Protocol, r.Response) {
		o.errors++
		p.errors++
	}
	if r.Kind == parser.Complete {
		o.latencies = append(o.latencies, r.Latency())
	}
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p*float64(len(sorted))+0.5) - 1
	i = max(0, min(i, len(sorted)-1))
	return sorted[i]
}

func (s *summary) write(w io.Writer, d *Decoder, elapsed time.Duration) {
	names := make([]string, 0, len(s.protos))
	for n := range s.protos {
		names = append(names, n)
	}
	sort.Strings(names)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, n := range names {
		p := s.protos[n]
		fmt.Fprintf(tw, "%s: %d complete, %d one-way, %d unanswered, %d unmatched responses, %d pushes, %d errors\n",
			n, p.kinds[parser.Complete], p.kinds[parser.OneWayRequest], p.kinds[parser.Unanswered],
			p.kinds[parser.UnmatchedResponse], p.kinds[parser.Push], p.errors)
		fmt.Fprintln(tw, "  OPERATION\tCOUNT\tERRORS\tP50\tP90\tP99")
		ops := make([]string, 0, len(p.ops))
		for op := range p.ops {
			ops = append(ops, op)
		}
		sort.Strings(ops)
		for _, op := range ops {
			o := p.ops[op]
			slices.Sort(o.latencies)
			fmt.Fprintf(tw, "  %s\t%d\t%d\t%v\t%v\t%v\n", clip(op), o.count, o.errors,
				percentile(o.latencies, .5).Round(time.Microsecond), percentile(o.latencies, .9).Round(time.Microsecond),
				percentile(o.latencies, .99).Round(time.Microsecond))
		}
	}
	tw.Flush()

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
