package playback

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl"

	"github.com/wirekit/wirekit/dump"
	"github.com/wirekit/wirekit/dump/kafkasink"
)

// Options select what to play back. Brokers and Topic are required; the
// zero value of every other field means "everything".
type Options struct {
	Brokers []string
	Topic   string
	// TLS and SASL are passed to kgo as in kafkasink.Options.
	TLS  *tls.Config
	SASL []sasl.Mechanism
	// KgoOptions are applied last to the consuming client.
	KgoOptions []kgo.Opt

	// Partitions to read, nil for all of the topic's.
	Partitions []int32
	// Since and Until select records by timestamp (the capture time the
	// sink set): [Since, Until). Kafka finds the first offset at or after
	// each bound (ListOffsets by timestamp), and items outside the range
	// are skipped as well, so a partition whose timestamps are not
	// monotonic still yields only in-range items.
	Since, Until time.Time
	// Offsets overrides the range of the partitions it names with
	// [Start, End) offsets; End < 0 means the end of the partition as it
	// was when Read started.
	Offsets map[int32]OffsetRange
	// Agent, when set, keeps only records whose kafkasink.HeaderAgent is
	// it.
	Agent string
	// MaxBytes bounds the record bytes held at once for the merge across
	// partitions, default 1 GiB; a range holding more fails with
	// ErrTooLarge before anything is handed on.
	MaxBytes int64
}

// OffsetRange is a half-open range of offsets [Start, End).
type OffsetRange struct{ Start, End int64 }

// Stats count what a playback read.
type Stats struct {
	// Records consumed, and their value bytes.
	Records, Bytes uint64
	// Items handed on (flow, close, record, snapshot and window items).
	Items uint64
	// Malformed records (not a valid kafkasink item) and records of
	// another format (their HeaderFormat is not kafkasink.FormatItem), or
	// skipped by Agent or the time range; none is handed on.
	Malformed, OtherFormat, Filtered uint64
	// Partitions read.
	Partitions int
}

// Errors.
var (
	ErrConfig   = errors.New("playback: invalid options")
	ErrTooLarge = errors.New("playback: range holds more than MaxBytes")
)

// Read consumes the selected range of the topic, merges the partitions in
// capture-time order (each partition's own order kept, so every
// connection's items stay in order: they share a partition) and calls fn
// with every item. Items of one connection share one *dump.ConnInfo. The
// item and its Data are valid only during the call. Read stops at the
// first error fn returns.
func Read(ctx context.Context, o Options, fn func(*dump.Item) error) (Stats, error) {
	var st Stats
	if len(o.Brokers) == 0 || o.Topic == "" {
		return st, fmt.Errorf("%w: Brokers and Topic are required", ErrConfig)
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = 1 << 30
	}
	so := kafkasink.Options{Brokers: o.Brokers, TLS: o.TLS, SASL: o.SASL}
	base := append(so.ClientOptions(), o.KgoOptions...)
	admin, err := kgo.NewClient(base...)
	if err != nil {
		return st, fmt.Errorf("playback: %w", err)
	}
	ranges, err := resolve(ctx, admin, o)
	admin.Close()
	if err != nil {
		return st, err
	}
	parts := map[int32]*partition{}
	offs := map[int32]kgo.Offset{}
	for p, r := range ranges {
		st.Partitions++
		if r.Start < r.End {
			parts[p] = &partition{next: r.Start, end: r.End}
			offs[p] = kgo.NewOffset().At(r.Start)
		}
	}
	if len(parts) > 0 {
		cl, err := kgo.NewClient(append(base, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{o.Topic: offs}))...)
		if err != nil {
			return st, fmt.Errorf("playback: %w", err)
		}
		err = consume(ctx, cl, o, parts, &st)
		cl.Close()
		if err != nil {
			return st, err
		}
	}
	return st, merge(parts, &st, fn)
}

type partition struct {
	next, end int64 // next offset wanted; end exclusive
	items     []dump.Item
	pos       int
}

// resolve turns the options into an offset range per partition.
func resolve(ctx context.Context, cl *kgo.Client, o Options) (map[int32]OffsetRange, error) {
	mreq := kmsg.NewPtrMetadataRequest()
	mt := kmsg.NewMetadataRequestTopic()
	mt.Topic = kmsg.StringPtr(o.Topic)
	mreq.Topics = append(mreq.Topics, mt)
	mresp, err := mreq.RequestWith(ctx, cl)
	if err != nil {
		return nil, fmt.Errorf("playback: metadata: %w", err)
	}
	if len(mresp.Topics) != 1 {
		return nil, fmt.Errorf("playback: metadata: %d topics in the answer", len(mresp.Topics))
	}
	if err := kerr.ErrorForCode(mresp.Topics[0].ErrorCode); err != nil {
		return nil, fmt.Errorf("playback: topic %s: %w", o.Topic, err)
	}
	var all []int32
	for _, p := range mresp.Topics[0].Partitions {
		if o.Partitions == nil || slices.Contains(o.Partitions, p.Partition) {
			all = append(all, p.Partition)
		}
	}
	ts := func(t time.Time, none int64) int64 {
		if t.IsZero() {
			return none
		}
		return t.UnixMilli()
	}
	start, err := listOffsets(ctx, cl, o.Topic, all, ts(o.Since, -2))
	if err != nil {
		return nil, err
	}
	hwm, err := listOffsets(ctx, cl, o.Topic, all, -1)
	if err != nil {
		return nil, err
	}
	end := hwm
	if !o.Until.IsZero() {
		if end, err = listOffsets(ctx, cl, o.Topic, all, o.Until.UnixMilli()); err != nil {
			return nil, err
		}
	}
	out := make(map[int32]OffsetRange, len(all))
	for _, p := range all {
		r := OffsetRange{Start: start[p], End: end[p]}
		if r.Start < 0 { // no record at or after Since
			r.Start = hwm[p]
		}
		if r.End < 0 { // no record at or after Until: up to the end
			r.End = hwm[p]
		}
		if x, ok := o.Offsets[p]; ok {
			r = x
			if r.End < 0 || r.End > hwm[p] {
				r.End = hwm[p]
			}
		}
		out[p] = r
	}
	return out, nil
}

func listOffsets(ctx context.Context, cl *kgo.Client, topic string, parts []int32, ts int64) (map[int32]int64, error) {
	req := kmsg.NewPtrListOffsetsRequest()
	req.ReplicaID = -1
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = topic
	for _, p := range parts {
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Partition = p
		rp.Timestamp = ts
		rp.CurrentLeaderEpoch = -1
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, fmt.Errorf("playback: list offsets: %w", err)
	}
	out := make(map[int32]int64, len(parts))
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				return nil, fmt.Errorf("playback: list offsets of %s/%d: %w", topic, p.Partition, err)
			}
			out[p.Partition] = p.Offset
		}
	}
	for _, p := range parts {
		if _, ok := out[p]; !ok {
			return nil, fmt.Errorf("playback: list offsets: no answer for partition %d", p)
		}
	}
	return out, nil
}

// consume fetches every partition up to its end, decoding items (their
// Data aliases the record values, which kgo does not reuse).
func consume(ctx context.Context, cl *kgo.Client, o Options, parts map[int32]*partition, st *Stats) error {
	left := len(parts)
	var held int64
	conns := map[uint64]*dump.ConnInfo{}
	for left > 0 {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return err
		}
		var ferr error
		fs.EachError(func(t string, p int32, err error) {
			if ferr == nil {
				ferr = fmt.Errorf("playback: fetch %s/%d: %w", t, p, err)
			}
		})
		if ferr != nil {
			return ferr
		}
		var err error
		fs.EachRecord(func(r *kgo.Record) {
			pt := parts[r.Partition]
			if err != nil || pt == nil || r.Offset < pt.next || r.Offset >= pt.end {
				return
			}
			pt.next = r.Offset + 1
			if pt.next >= pt.end {
				left--
			}
			st.Records++
			st.Bytes += uint64(len(r.Value))
			if held += int64(len(r.Value)); held > o.MaxBytes {
				err = ErrTooLarge
				return
			}
			if !want(r, o, st) {
				return
			}
			var it dump.Item
			var ci dump.ConnInfo
			if DecodeErr := kafkasink.DecodeItem(r.Value, &it, &ci); DecodeErr != nil {
				st.Malformed++
				return
			}
			if !o.Since.IsZero() && it.Time.Before(o.Since) || !o.Until.IsZero() && !it.Time.Before(o.Until) {
				st.Filtered++
				return
			}
			if it.Conn != nil {
				c := conns[ci.ID]
				if c == nil {
					c = new(dump.ConnInfo)
					*c = ci
					conns[ci.ID] = c
				}
				it.Conn = c
			}
			pt.items = append(pt.items, it)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func want(r *kgo.Record, o Options, st *Stats) bool {
	format, agentOK := false, o.Agent == ""
	for _, h := range r.Headers {
		switch h.Key {
		case kafkasink.HeaderFormat:
			format = string(h.Value) == kafkasink.FormatItem
		case kafkasink.HeaderAgent:
			agentOK = agentOK || string(h.Value) == o.Agent
		}
	}
	if !format {
		st.OtherFormat++
		return false
	}
	if !agentOK {
		st.Filtered++
		return false
	}
	return true
}

// merge hands the items on in capture-time order across partitions,
// keeping each partition's order.
func merge(parts map[int32]*partition, st *Stats, fn func(*dump.Item) error) error {
	ps := make([]*partition, 0, len(parts))
	for _, p := range parts {
		ps = append(ps, p)
	}
	for {
		var best *partition
		for _, p := range ps {
			if p.pos < len(p.items) && (best == nil || p.items[p.pos].Time.Before(best.items[best.pos].Time)) {
				best = p
			}
		}
		if best == nil {
			return nil
		}
		st.Items++
		if err := fn(&best.items[best.pos]); err != nil {
			return err
		}
		best.items[best.pos] = dump.Item{}
		best.pos++
	}
}

// WritePcapng plays the range back as one pcapng section on w, written by
// dump's pcapng writer: synthesized TCP packets per connection that
// Wireshark and tshark reassemble, records and snapshots on a second
// interface. It returns what Read returns, or the first write error.
func WritePcapng(ctx context.Context, o Options, w io.Writer) (Stats, error) {
	s := dump.NewPcapngWriterSink(w)
	n := 0
	st, err := Read(ctx, o, func(it *dump.Item) error {
		if err := s.Write(it); err != nil {
			return err
		}
		if n++; n%256 == 0 {
			return s.Flush()
		}
		return nil
	})
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	return st, err
}
