// Package pcaptest turns a recorded capture into test inputs: the
// reassembled byte streams of each TCP connection, and the messages a
// protocol frames out of them. It is meant for tests and fuzz targets, the
// way net/http/httptest is: seed a fuzz target from your own pcap in three
// lines,
//
//	func FuzzMyParser(f *testing.F) {
//		pcaptest.Seed(f, "testdata/prod.pcap", redis.Protocol(), parser.Request)
//		f.Fuzz(func(t *testing.T, msg []byte) { ... })
//	}
//
// or check a parser against a capture with Exchanges.
//
// Streams are reassembled with package reassembly (gaps are reported in
// Stream.Gaps, never hidden), so captures with loss, reordering or
// retransmission work too. Everything is held in memory: use it on test
// captures, not on production-size files.
package pcaptest
