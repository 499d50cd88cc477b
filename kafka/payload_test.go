package kafka

import (
	"encoding/binary"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/parser"
)

// TestBenchPayloads checks what the parser reads from the shared benchmark
// payloads (built with kmsg), so the benchmarks measure real decoding.
// Produce v9 and Fetch v12 are flexible: the request header's tagged-field
// byte must be skipped before the body, which Kindling does not do (it
// reads a wrong topic there).
func TestBenchPayloads(t *testing.T) {
	p := NewProtocol(Options{})
	for _, name := range []string{"produce_v7", "produce_v9", "fetch_v11", "fetch_v12"} {
		t.Run(name, func(t *testing.T) {
			state := p.NewState()
			var req, resp parser.Message
			require.True(t, p.ParseRequest(&req, payload(t, "kafka_"+name+"_req"), state), "%v", req.Err)
			require.True(t, p.ParseResponse(&resp, payload(t, "kafka_"+name+"_resp"), &req.Attrs, state), "%v", resp.Err)
			t.Logf("request %v", req.Attrs.Map())
			t.Logf("response %v", resp.Attrs.Map())
			assert.False(t, req.Attrs.Has(AttrBodyNotDecoded))
			assert.False(t, resp.Attrs.Has(AttrBodyNotDecoded))
			// The same bytes through kmsg: topic, partitions, records.
			key := int16(binary.BigEndian.Uint16(req.Data[4:]))
			kreq := kmsg.RequestForKey(key)
			kreq.SetVersion(int16(binary.BigEndian.Uint16(req.Data[6:])))
			require.NoError(t, kreq.ReadFrom(req.Data[req.Offset-bodyLen(t, &req):]))
			kresp := kreq.ResponseKind()
			require.NoError(t, kresp.ReadFrom(resp.Data[resp.Offset-bodyLen(t, &resp):]))
			var topic string
			var parts []int32
			var recs [][]byte
			switch r := kreq.(type) {
			case *kmsg.ProduceRequest:
				topic = r.Topics[0].Topic
				for _, p := range r.Topics[0].Partitions {
					parts = append(parts, p.Partition)
					recs = append(recs, p.Records)
				}
				assertInt(t, &req.Attrs, AttrAcks, int64(r.Acks))
				assertInt(t, &req.Attrs, AttrTimeoutMs, int64(r.TimeoutMillis))
			case *kmsg.FetchRequest:
				topic = r.Topics[0].Topic
				for _, p := range r.Topics[0].Partitions {
					parts = append(parts, p.Partition)
				}
				assertInt(t, &req.Attrs, AttrMaxWaitMs, int64(r.MaxWaitMillis))
				for _, p := range kresp.(*kmsg.FetchResponse).Topics[0].Partitions {
					recs = append(recs, p.RecordBatches)
				}
			}
			got, _ := req.Attrs.String(AttrTopic)
			assert.Equal(t, topic, got)
			assertInt(t, &req.Attrs, AttrPartitionCount, int64(len(parts)))
			var n int64
			for _, b := range recs {
				var rb kmsg.RecordBatch
				require.NoError(t, rb.ReadFrom(b))
				n += int64(rb.NumRecords)
			}
			withRecs := &req.Attrs
			if key == 1 {
				withRecs = &resp.Attrs
			}
			assertInt(t, withRecs, AttrRecordCount, n)
			assert.Positive(t, n)
		})
	}
}

// bodyLen is the length of the body the parser consumed (Offset is at the
// end of the frame after a complete parse).
func bodyLen(t *testing.T, m *parser.Message) int {
	t.Helper()
	require.Equal(t, len(m.Data), m.Offset)
	hdr := 8
	if m.Dir == parser.Request {
		key := int16(binary.BigEndian.Uint16(m.Data[4:]))
		ver := int16(binary.BigEndian.Uint16(m.Data[6:]))
		hdr = 12 + 2 + int(binary.BigEndian.Uint16(m.Data[12:]))
		if RequestHeaderVersion(key, ver) == 2 {
			hdr++ // empty tagged fields
		}
	} else if k, _ := m.Attrs.Int(AttrAPIKey); true {
		v, _ := m.Attrs.Int(AttrAPIVersion)
		if ResponseHeaderVersion(int16(k), int16(v)) == 1 {
			hdr++
		}
	}
	return len(m.Data) - hdr
}

func assertInt(t *testing.T, a *parser.Attributes, key string, want int64) {
	t.Helper()
	got, ok := a.Int(key)
	assert.True(t, ok, "%s missing", key)
	assert.Equal(t, want, got, key)
}
