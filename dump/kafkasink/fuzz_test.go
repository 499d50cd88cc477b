package kafkasink_test

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"github.com/wirekit/wirekit/dump"
	"github.com/wirekit/wirekit/dump/kafkasink"
	"github.com/wirekit/wirekit/parser"
)

// FuzzDecodeItem: any bytes decode or fail cleanly; what decodes encodes
// back to the same bytes, and Data aliases the input within its bounds.
func FuzzDecodeItem(f *testing.F) {
	for _, it := range sampleItems() {
		f.Add(kafkasink.AppendItem(nil, &it))
	}
	f.Add([]byte{1, 1, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		var it dump.Item
		var ci dump.ConnInfo
		if err := kafkasink.DecodeItem(b, &it, &ci); err != nil {
			return
		}
		if len(it.Data) > len(b) {
			t.Fatalf("data %d > input %d", len(it.Data), len(b))
		}
		again := kafkasink.AppendItem(nil, &it)
		var it2 dump.Item
		var ci2 dump.ConnInfo
		if err := kafkasink.DecodeItem(again, &it2, &ci2); err != nil {
			t.Fatalf("re-encoded item does not decode: %v", err)
		}
		if !bytes.Equal(kafkasink.AppendItem(nil, &it2), again) {
			t.Fatal("encoding not stable")
		}
	})
}

func sampleItems() []dump.Item {
	c4 := &dump.ConnInfo{ID: 7, Client: netip.MustParseAddrPort("127.0.0.1:50000"), Server: netip.MustParseAddrPort("127.0.0.1:6379")}
	c6 := &dump.ConnInfo{ID: 1 << 40, Client: netip.MustParseAddrPort("[::1]:40000"), Server: netip.MustParseAddrPort("[::1]:9092")}
	c0 := &dump.ConnInfo{ID: 3}
	ts := time.Date(2026, 12, 2, 23, 59, 1, 123456789, time.UTC)
	return []dump.Item{
		{Kind: dump.KindFlow, Window: 0xabcdef0100000002, Time: ts, Conn: c4, Dir: parser.Request, Offset: 0, Data: []byte("*1\r\n$4\r\nPING\r\n")},
		{Kind: dump.KindFlow, Window: 1, Time: ts, Conn: c6, Dir: parser.Response, Offset: 1 << 33, Data: []byte{0, 0, 0, 4, 1, 2, 3, 4}},
		{Kind: dump.KindClose, Window: 1, Time: ts, Conn: c0},
		{Kind: dump.KindRecord, Window: 1, Time: ts, Type: "order", Data: []byte(`{"id":1}`)},
		{Kind: dump.KindSnapshot, Time: ts, Type: "strategy", Hash: 0x1122334455667788, Data: []byte(`{"switch":"ON"}`)},
		{Kind: dump.KindWindow, Window: 9, Time: ts},
	}
}
