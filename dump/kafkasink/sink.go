package kafkasink

import (
	"encoding/binary"

	"github.com/wirekit/wirekit/dump"
)

// Sink is a dump.Sink producing every item to Kafka as one record in the
// FormatItem encoding (AppendItem), keyed by the connection id (8 bytes,
// big-endian) so one connection's items stay in order in one partition;
// items without a connection (windows, records, snapshots) have no key.
// The record timestamp is the item's capture time.
//
// Write never blocks and never fails: an item that does not fit the
// Producer's bounds is dropped and counted in the sink's Stats, not in
// the Dumper's. The Dumper's Written counts items handed to Kafka; the
// Sink's Stats say which of them were acknowledged and which were dropped
// and why. Flush returns nil (acknowledgements are asynchronous); Close
// waits up to CloseTimeout and reports what could not be delivered.
type Sink struct {
	p    *Producer
	name string
}

// New starts a Sink (see NewProducer: it does not wait for the brokers).
func New(o Options) (*Sink, error) {
	p, err := NewProducer(o, FormatItem)
	if err != nil {
		return nil, err
	}
	return &Sink{p: p, name: "kafka:" + p.o.Topic}, nil
}

// Name returns "kafka:TOPIC".
func (s *Sink) Name() string { return s.name }

// Write encodes it into a pooled record and hands it to the producer.
func (s *Sink) Write(it *dump.Item) error {
	klen := 0
	if it.Conn != nil {
		klen = 8
	}
	r, _ := s.p.reserve(int64(itemSize(it) + klen))
	if r == nil {
		return nil // counted by reserve
	}
	r.buf = r.buf[:0]
	if it.Conn != nil {
		r.buf = binary.BigEndian.AppendUint64(r.buf, it.Conn.ID)
	}
	r.buf = AppendItem(r.buf, it)
	s.p.send(r, klen, it.Conn != nil, it.Window, it.Time)
	return nil
}

// Flush returns nil: records are sent by the producer as they come.
func (s *Sink) Flush() error { return nil }

// Close flushes with Options.CloseTimeout and closes the client; see
// Producer.Close.
func (s *Sink) Close() error { return s.p.Close() }

// Stats returns the producer's counters (one record per item).
func (s *Sink) Stats() Stats { return s.p.Stats() }

// Producer returns the sink's producer.
func (s *Sink) Producer() *Producer { return s.p }
