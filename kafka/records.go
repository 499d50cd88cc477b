package kafka

import (
	"encoding/binary"
	"fmt"

	"github.com/wirekit/wirekit/parser"
)

// Attributes and error of record batches whose record count cannot be
// true.
const (
	// AttrRecordBadBatches is the number of v2 record batches whose record
	// count is more than their bytes can hold (minRecordSize bytes a
	// record, times the codec's largest expansion): their counts are left
	// out of AttrRecordCount and their bytes are in AttrRecordPartialBytes
	// (int; absent when 0).
	AttrRecordBadBatches = "kafka.record_bad_batches"
	// AttrRecordError says why batches were left out: ErrRecordCount's
	// text (string; absent when AttrRecordBadBatches is).
	AttrRecordError = "kafka.record_error"
)

// ErrRecordCount: a record batch claims more records than its bytes can
// hold (for example 2^31-1 records in a few bytes).
var ErrRecordCount = fmt.Errorf("kafka: record count exceeds what the batch bytes can hold: %w", parser.ErrMalformed)

// recordStats sums what the record batch headers of a Produce request or a
// Fetch response say, without decompressing or decoding records.
//
// A record set is a run of batches. Each starts with baseOffset (int64) and
// a length (int32) counting the bytes after it, then partitionLeaderEpoch
// (v2) or crc (v0/v1) (4 bytes) and the magic byte at offset 16:
//   - magic 2 (RecordBatch, Kafka 0.11+): crc(4) attributes(int16, codec in
//     the low 3 bits) lastOffsetDelta(4) baseTimestamp(8) maxTimestamp(8)
//     producerId(8) producerEpoch(2) baseSequence(4) recordCount(int32 at
//     offset 57), checked against the records section's bytes (maxRecords);
//   - magic 0/1 (MessageSet): attributes(int8, codec in the low 3 bits) at
//     offset 17; one message per entry (a compressed wrapper message holds
//     its inner messages compressed, so it counts as one).
type recordStats struct {
	seen    bool  // a record set was present
	batches int64 // whole batches (v2) or messages (v0/v1)
	bad     int64 // v2 batches whose record count does not fit their bytes
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
			if n*minRecordSize > int64(len(batch)-61) && n > maxRecords(codec, len(batch)-61) {
				// A count the bytes cannot hold (2^31-1 records in a few
				// bytes): the batch is counted as bad, its bytes as not
				// forming a batch, and its count is not believed.
				s.bad++
				s.partial += int64(len(batch))
				b = b[len(batch):]
				continue
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

// minRecordSize is the smallest record of a v2 batch: length, attributes,
// timestamp delta, offset delta, key length, value length and header
// count, one byte each.
const minRecordSize = 7

// maxExpansion is the most a codec can expand its input, by attribute
// value: deflate's limit (1032:1) for gzip, a snappy copy of 64 bytes in a
// 3-byte tag (under 22:1), an lz4 match extended a byte per 255 (255:1),
// and a zstd RLE block of 128 KiB in 4 bytes (32768:1), also used for the
// codec values Kafka does not define.
var maxExpansion = [8]int64{1, 1032, 22, 255, 32768, 32768, 32768, 32768}

// maxRecords is the largest record count n bytes of a v2 batch's records
// section can hold with the batch's codec. A larger count is a lie (or a
// corruption) that is never reported as a record count.
func maxRecords(codec int8, n int) int64 {
	if n < 0 {
		return 0
	}
	return int64(n) * maxExpansion[codec&7] / minRecordSize
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
	if s.bad > 0 {
		addInt(a, AttrRecordBadBatches, s.bad)
		addConst(a, AttrRecordError, ErrRecordCount.Error())
	}
	if s.codec >= 0 {
		addConst(a, AttrCompression, codecNames[s.codec&7])
		addInt(a, AttrRecordMagic, int64(s.magic))
	}
}
