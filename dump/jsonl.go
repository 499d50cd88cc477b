package dump

import (
	"encoding/base64"
	"strconv"
	"time"

	"github.com/wirekit/wirekit/parser"
)

// jsonlEncoder writes one JSON object per item and line:
//
//	{"kind":"flow","window":"…","time":"…","conn":7,"client":"…","server":"…","dir":"c2s","offset":0,"len":5,"data":"aGVsbG8="}
//	{"kind":"record","window":"…","time":"…","type":"order","len":3,"data":"…"}
//	{"kind":"snapshot","window":"…","time":"…","name":"strategy","hash":"…","len":80,"data":"…"}
//	{"kind":"close","window":"…","time":"…","conn":7,"client":"…","server":"…"}
//	{"kind":"window","window":"…","time":"…"}
//
// window and hash are 16 hex digits; time is RFC 3339 with nanoseconds in
// UTC; data is standard base64. It keeps no per-file state.
type jsonlEncoder struct{}

func (jsonlEncoder) ext() string { return "jsonl" }

func (jsonlEncoder) begin(dst []byte) []byte { return dst }

func (jsonlEncoder) encode(dst []byte, it *Item) []byte {
	dst = append(dst, `{"kind":"`...)
	dst = append(dst, it.Kind.String()...)
	dst = append(dst, `","window":"`...)
	dst = appendHex16(dst, it.Window)
	dst = append(dst, `","time":"`...)
	dst = it.Time.UTC().AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, '"')
	if it.Conn != nil {
		dst = append(dst, `,"conn":`...)
		dst = strconv.AppendUint(dst, it.Conn.ID, 10)
		dst = append(dst, `,"client":"`...)
		dst = it.Conn.Client.AppendTo(dst)
		dst = append(dst, `","server":"`...)
		dst = it.Conn.Server.AppendTo(dst)
		dst = append(dst, '"')
	}
	switch it.Kind {
	case KindFlow:
		dst = append(dst, `,"dir":"`...)
		dst = append(dst, dirName(it.Dir)...)
		dst = append(dst, `","offset":`...)
		dst = strconv.AppendUint(dst, it.Offset, 10)
	case KindRecord:
		dst = append(dst, `,"type":`...)
		dst = parser.AppendJSONString(dst, it.Type)
	case KindSnapshot:
		dst = append(dst, `,"name":`...)
		dst = parser.AppendJSONString(dst, it.Type)
		dst = append(dst, `,"hash":"`...)
		dst = appendHex16(dst, it.Hash)
		dst = append(dst, '"')
	}
	if it.Kind == KindFlow || it.Kind == KindRecord || it.Kind == KindSnapshot {
		dst = append(dst, `,"len":`...)
		dst = strconv.AppendInt(dst, int64(len(it.Data)), 10)
		dst = append(dst, `,"data":"`...)
		dst = base64.StdEncoding.AppendEncode(dst, it.Data)
		dst = append(dst, '"')
	}
	return append(dst, "}\n"...)
}
