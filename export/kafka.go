package export

import (
	"github.com/wirekit/wirekit/dump/kafkasink"
	"github.com/wirekit/wirekit/parser"
)

// Kafka produces exchanges as records through a kafkasink.Producer: value
// = one AppendJSON object (with its newline, so a topic dumped with a
// console consumer is JSON Lines), key = the connection id in decimal,
// timestamp = the request time (the response time for an exchange
// without request), HeaderFormat = Format. It has the producer's bounds,
// watchdog and accounting: Export never blocks, every exchange is
// acknowledged or dropped and counted (Stats).
//
// Export is safe for concurrent use and takes no lock of its own: each
// exchange is encoded once, straight into its pooled record's buffer
// (kafkasink.Producer.ProduceFunc), and never copied. It is meant to be
// called from a filter/sniff Handler, a parser.Conn callback or
// pcapdecode.
type Kafka struct {
	p   *kafkasink.Producer
	enc *Encoder
}

// NewKafka starts a producer for o that encodes with eo (see NewEncoder:
// strict redaction unless configured otherwise). It does not wait for the
// brokers.
func NewKafka(o kafkasink.Options, eo Options) (*Kafka, error) {
	if eo.Agent == "" {
		eo.Agent = o.Agent
	}
	p, err := kafkasink.NewProducer(o, Format)
	if err != nil {
		return nil, err
	}
	return &Kafka{p: p, enc: NewEncoder(eo)}, nil
}

// Export encodes x into a record and offers it to the producer. An
// exchange refused by the producer's bounds has been encoded (its size
// is counted).
func (k *Kafka) Export(m Meta, x *parser.Exchange) kafkasink.Result {
	ts := x.RequestTime
	if ts.IsZero() {
		ts = x.ResponseTime
	}
	var key [20]byte
	return k.p.ProduceFunc(appendUint(key[:0], m.ConnID), 0, ts, func(dst []byte) []byte {
		return k.enc.AppendJSON(dst, m, x)
	})
}

func appendUint(b []byte, v uint64) []byte {
	var d [20]byte
	i := len(d)
	for {
		i--
		d[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return append(b, d[i:]...)
}

// Stats returns the producer's counters (one record per exchange).
func (k *Kafka) Stats() kafkasink.Stats { return k.p.Stats() }

// Close flushes with the producer's CloseTimeout; see
// kafkasink.Producer.Close.
func (k *Kafka) Close() error { return k.p.Close() }
