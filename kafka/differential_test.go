package kafka

import (
	"encoding/binary"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/pcaptest"
)

// TestCorpusDifferential decodes every message of the corpus captures with
// both this parser and kmsg and compares what both can tell: the first
// non-zero error code in wire order of every response, and the topic,
// topic and partition counts and record counts (summed from the record
// batch headers kmsg decodes) of every Produce request and Fetch response.
// The truth files do not carry record counts; this checks them on real
// client traffic (kgo and sarama).
func TestCorpusDifferential(t *testing.T) {
	p := NewProtocol(Options{})
	checked := map[string]int{}
	for _, name := range []string{"kafka_kgo_v2_4", "kafka_sarama_v0_11"} {
		streams, err := pcaptest.ReadFile(pcaptest.Corpus(name + ".pcap"))
		require.NoError(t, err)
		for _, s := range streams {
			reqs, err := pcaptest.Messages(p, s, parser.Request)
			require.NoError(t, err)
			resps, err := pcaptest.Messages(p, s, parser.Response)
			require.NoError(t, err)
			state := p.NewState()
			byCorr := map[uint32]*parser.Attributes{}
			for _, b := range reqs {
				var m parser.Message
				require.True(t, p.ParseRequest(&m, b, state))
				key := int16(binary.BigEndian.Uint16(b[4:]))
				ver := int16(binary.BigEndian.Uint16(b[6:]))
				kreq := kmsg.RequestForKey(key)
				kreq.SetVersion(ver)
				require.NoError(t, kreq.ReadFrom(b[m.Offset-bodyLen(t, &m):]))
				if key == 0 || key == 1 {
					compareTopics(t, &m.Attrs, kreq)
				}
				if key == 0 {
					compareRecords(t, &m.Attrs, kreq)
					checked["produce records"]++
				}
				var owned parser.Attributes
				owned.CopyFrom(&m.Attrs)
				byCorr[binary.BigEndian.Uint32(b[8:])] = &owned
			}
			for _, b := range resps {
				req := byCorr[binary.BigEndian.Uint32(b[4:])]
				require.NotNil(t, req)
				var m parser.Message
				require.True(t, p.ParseResponse(&m, b, req, state))
				require.False(t, m.Attrs.Has(AttrBodyNotDecoded), "%v", m.Attrs.Map())
				key, _ := req.Int(AttrAPIKey)
				ver, _ := req.Int(AttrAPIVersion)
				kresp := kmsg.RequestForKey(int16(key)).ResponseKind()
				kresp.SetVersion(int16(ver))
				body := b[m.Offset-bodyLen(t, &m):]
				if err := kresp.ReadFrom(body); err != nil && key == 18 {
					kresp.SetVersion(0) // UNSUPPORTED_VERSION answered with a v0 body
					err = kresp.ReadFrom(body)
					require.NoError(t, err)
				} else {
					require.NoError(t, err)
				}
				code, _ := m.Attrs.Int(AttrErrorCode)
				assert.Equal(t, int64(firstErrorCode(reflect.ValueOf(kresp))), code, "%T", kresp)
				checked["response error codes"]++
				if key == 1 {
					compareTopics(t, &m.Attrs, kresp)
					compareRecords(t, &m.Attrs, kresp)
					checked["fetch records"]++
				}
			}
		}
	}
	t.Logf("checked %v", checked)
	assert.Positive(t, checked["produce records"])
	assert.Positive(t, checked["fetch records"])
}

// compareTopics checks topic, topic count and partition count against a
// kmsg Produce/Fetch request or response.
func compareTopics(t *testing.T, a *parser.Attributes, msg any) {
	t.Helper()
	topics := reflect.ValueOf(msg).Elem().FieldByName("Topics")
	nt, np := topics.Len(), 0
	for i := 0; i < nt; i++ {
		np += topics.Index(i).FieldByName("Partitions").Len()
	}
	got, _ := a.Int(AttrTopicCount)
	assert.Equal(t, int64(nt), got, "topic count %T", msg)
	got, _ = a.Int(AttrPartitionCount)
	assert.Equal(t, int64(np), got, "partition count %T", msg)
	if nt > 0 {
		name, _ := a.String(AttrTopic)
		assert.Equal(t, topics.Index(0).FieldByName("Topic").String(), name)
	}
}

// compareRecords sums the record counts of every record batch kmsg decodes
// from a Produce request's or Fetch response's record sets.
func compareRecords(t *testing.T, a *parser.Attributes, msg any) {
	t.Helper()
	var records, batches, size int64
	topics := reflect.ValueOf(msg).Elem().FieldByName("Topics")
	sets := 0
	for i := 0; i < topics.Len(); i++ {
		parts := topics.Index(i).FieldByName("Partitions")
		for j := 0; j < parts.Len(); j++ {
			f := parts.Index(j).FieldByName("Records")
			if !f.IsValid() {
				f = parts.Index(j).FieldByName("RecordBatches")
			}
			b := f.Bytes()
			if b == nil {
				continue
			}
			sets++
			size += int64(len(b))
			for len(b) >= 61 {
				var rb kmsg.RecordBatch
				n := 12 + int(int32(binary.BigEndian.Uint32(b[8:])))
				if n > len(b) {
					break // partial batch at the end of a fetch
				}
				require.NoError(t, rb.ReadFrom(b[:n]))
				records += int64(rb.NumRecords)
				batches++
				b = b[n:]
			}
		}
	}
	if sets == 0 {
		assert.False(t, a.Has(AttrRecordCount))
		return
	}
	got, _ := a.Int(AttrRecordCount)
	assert.Equal(t, records, got, "records %T", msg)
	got, _ = a.Int(AttrRecordBatches)
	assert.Equal(t, batches, got, "batches %T", msg)
	got, _ = a.Int(AttrRecordBytes)
	assert.Equal(t, size, got, "bytes %T", msg)
}
