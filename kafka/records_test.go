package kafka

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/wirekit/wirekit/parser"
)

// TestRecordCountChecked (issue 14.5): a v2 batch claiming 2^31-1 records
// in a few bytes is not reported as kafka.record_count=2147483647: the
// batch is counted as bad, its bytes as partial, the error is named, and
// the other batch's count stays.
func TestRecordCountChecked(t *testing.T) {
	rs := buildRecordSet(2) // batches of 3 and 5 records, lz4, 16 record bytes each
	first := int(12 + binary.BigEndian.Uint32(rs.b[8:]))
	for _, tc := range []struct {
		name  string
		count uint32
		codec byte
		bad   bool
	}{
		{"lz4 2^31-1", 0x7fffffff, 3, true},
		{"zstd 2^31-1", 0x7fffffff, 4, true},
		{"none 2^31-1", 0x7fffffff, 0, true},
		{"none 3 in 16 bytes", 3, 0, true}, // 3 records take at least 21 bytes
		{"none 2 in 16 bytes", 2, 0, false},
		{"lz4 582 in 16 bytes", 582, 3, false}, // 16*255/7
		{"lz4 583 in 16 bytes", 583, 3, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs := append([]byte(nil), rs.b...)
			second := recs[first:]
			binary.BigEndian.PutUint32(second[57:], tc.count)
			binary.BigEndian.PutUint16(second[21:], uint16(tc.codec))
			req := kmsg.NewPtrProduceRequest()
			req.SetVersion(7)
			req.Acks = -1
			req.TimeoutMillis = 1000
			req.Topics = []kmsg.ProduceRequestTopic{{Topic: "t", Partitions: []kmsg.ProduceRequestTopicPartition{{Partition: 0, Records: recs}}}}
			var m parser.Message
			require.True(t, Protocol().ParseRequest(&m, frameRequest(0, 7, 1, "c", req.AppendTo(nil)), nil), "%v", m.Err)
			a := &m.Attrs
			require.False(t, a.Has(AttrBodyNotDecoded), "%v", a.Map())
			assertInt(t, a, AttrRecordBytes, int64(len(recs)))
			if !tc.bad {
				assertInt(t, a, AttrRecordCount, 3+int64(tc.count))
				assertInt(t, a, AttrRecordBatches, 2)
				assert.False(t, a.Has(AttrRecordBadBatches))
				assert.False(t, a.Has(AttrRecordError))
				assert.False(t, a.Has(AttrRecordPartialBytes))
				return
			}
			assertInt(t, a, AttrRecordCount, 3)
			assertInt(t, a, AttrRecordBatches, 1)
			assertInt(t, a, AttrRecordBadBatches, 1)
			assertInt(t, a, AttrRecordPartialBytes, int64(len(second)))
			s, _ := a.String(AttrRecordError)
			assert.Equal(t, ErrRecordCount.Error(), s)
		})
	}
}
