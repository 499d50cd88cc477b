package kafka

import (
	"encoding/binary"

	"github.com/wirekit/wirekit/parser"
)

// recordStats sums what the record batch headers of a Produce request or a
// Fetch response say, without decompressing or decoding records.
//
// A record set is a run of batches. Each starts with baseOffset (int64) and
// a length (int32) counting the bytes after it, then partitionLeaderEpoch
// (v2) or crc (v0/v1) (4 bytes) and the magic byte at offset 16:
//   - magic 2 (RecordBatch, Kafka 0.11+): crc(4) attributes(int16, codec in
//     the low 3 bits) lastOffsetDelta(4) baseTimestamp(8) maxTimestamp(8)
//     producerId(8) producerEpoch(2) baseSequence(4) recordCount(int32 at
//     offset 57);
//   - magic 0/1 (MessageSet): attributes(int8, codec in the low 3 bits) at
//     offset 17; one message per entry (a compressed wrapper message holds
//     its inner messages compressed, so it counts as one).
type recordStats struct {
	seen    bool  // a record set was present
	batches int64 // whole batches (v2) or messages (v0/v1)
	records int64
	bytes   int64 // record set bytes
	partial int64 // bytes not forming a whole, parseable batch
	codec   int8  // codec of the first batch, -1 before one is seen
	magic   int8  // magic of the first batch
}

// codecNames are the compression codecs by attribute value.
var codecNames = [8]string{"none", "gzip", "snappy", "lz4", "zstd", "unknown", "unknown", "unknown"}

// scan adds one partition's record set. It reads the fixed header fields
// straight from the slice: each batch is bounds-checked once against its
// own length.
func (s *recordStats) scan(b []byte) {
	if b == nil {
		return
	}
	if !s.seen {
		s.seen = true
		s.codec = -1
	}
	s.bytes += int64(len(b))
	for len(b) >= 17 {
		length := int64(int32(binary.BigEndian.Uint32(b[8:])))
		magic := int8(b[16])
		if length < 5 || length > int64(len(b)-12) || magic < 0 || magic > 2 {
			break // partial (Fetch may end mid-batch) or not a batch
		}
		batch := b[:12+length]
		var codec int8
		var n int64
		if magic == 2 {
			if len(batch) < 61 {
				s.partial += int64(len(b)) // whole batch counted as unparsed
				return
			}
			codec = int8(binary.BigEndian.Uint16(batch[21:]) & 7)
			n = int64(int32(binary.BigEndian.Uint32(batch[57:])))
			if n < 0 {
				s.partial += int64(len(b))
				return
			}
		} else {
			if len(batch) < 18 {
				s.partial += int64(len(b))
				return
			}
			codec = int8(batch[17] & 7)
			n = 1
		}
		b = b[len(batch):]
		if s.codec < 0 {
			s.codec, s.magic = codec, magic
		}
		s.batches++
		s.records += n
	}
	s.partial += int64(len(b))
}

// set reports the sums as attributes.
func (s *recordStats) set(a *parser.Attributes) {
	if !s.seen {
		return
	}
	addInt(a, AttrRecordCount, s.records)
	addInt(a, AttrRecordBatches, s.batches)
	addInt(a, AttrRecordBytes, s.bytes)
	if s.partial > 0 {
		addInt(a, AttrRecordPartialBytes, s.partial)
	}
	if s.codec >= 0 {
		addStr(a, AttrCompression, codecNames[s.codec&7])
		addInt(a, AttrRecordMagic, int64(s.magic))
	}
}
