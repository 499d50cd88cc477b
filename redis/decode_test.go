package redis

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/pcaptest"
)

// Protocol.Decode must answer exactly as Split followed by the tree: these
// tests run both over the same bytes, each with its own State, and compare
// every answer.

// decodeTwin drives the two ways over one direction's bytes.
type decodeTwin struct {
	p      *parser.Protocol
	dir    parser.Direction
	split  func([]byte, bool) (int, []byte, error)
	decode parser.DecodeFunc
	st     any // the split path's State
	m1, m2 parser.Message
}

func newDecodeTwin(p *parser.Protocol, dir parser.Direction) *decodeTwin {
	st1, st2 := p.NewState(), p.NewState()
	return &decodeTwin{p: p, dir: dir, split: p.Split(st1, dir), decode: p.Decoder(st2, dir), st: st1}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// step offers data to both and reports what split answered; it fails t
// on the first difference.
func (d *decodeTwin) step(t testing.TB, data []byte, atEOF bool) (adv int, err error) {
	adv, tok, err := d.split(data, atEOF)
	var ok bool
	if tok != nil {
		if d.dir == parser.Request {
			ok = d.p.ParseRequest(&d.m1, tok, d.st)
		} else {
			ok = d.p.ParseResponse(&d.m1, tok, nil, d.st)
		}
	}
	d.m2.Request = nil
	adv2, framed, matched, err2 := d.decode(&d.m2, data, atEOF)
	if adv2 != adv || framed != (tok != nil) || errText(err2) != errText(err) {
		t.Fatalf("%q at EOF %v: split %d, %v, %v; decode %d, framed %v, %v", data, atEOF, adv, tok != nil, err, adv2, framed, err2)
	}
	if !framed {
		return adv, err
	}
	m1, m2 := &d.m1, &d.m2
	if matched != ok || !bytes.Equal(m2.Data, tok) || m2.Offset != m1.Offset || m2.Flags != m1.Flags ||
		errText(m2.Err) != errText(m1.Err) || m2.Dir != m1.Dir || m2.State == nil {
		t.Fatalf("%q: tree matched %v, offset %d, flags %v, err %v; decode %v, %d, %v, %v",
			tok, ok, m1.Offset, m1.Flags, m1.Err, matched, m2.Offset, m2.Flags, m2.Err)
	}
	if a1, a2 := m1.Attrs.AppendJSON(nil), m2.Attrs.AppendJSON(nil); !bytes.Equal(a1, a2) {
		t.Fatalf("%q: tree %s, decode %s", tok, a1, a2)
	}
	return adv, err
}

// run feeds data in chunks of at most chunk bytes (0: all at once), as a
// connection's buffer grows, offering the buffered bytes after each chunk
// until both say "need more", and at EOF at the end. It returns how many
// messages were framed.
func (d *decodeTwin) run(t testing.TB, data []byte, chunk int) (messages int) {
	off, have := 0, 0
	for {
		atEOF := have == len(data)
		adv, err := d.step(t, data[off:have], atEOF)
		if err != nil {
			return messages
		}
		if adv > 0 {
			if d.m2.Data != nil && len(d.m2.Data) == adv && &d.m2.Data[0] == &data[off] {
				messages++
			}
			off += adv
			continue
		}
		if atEOF {
			return messages
		}
		if chunk <= 0 {
			have = len(data)
		} else {
			have = min(have+chunk, len(data))
		}
	}
}

// TestDecodeAgrees runs the corpus captures, both directions of every
// connection, whole and in 1-, 7- and 1460-byte chunks, and the key
// battery, through both ways.
func TestDecodeAgrees(t *testing.T) {
	p := Protocol()
	total := 0
	for _, name := range corpusFiles {
		streams, err := pcaptest.ReadFile(pcaptest.Corpus(name + ".pcap"))
		require.NoError(t, err)
		for _, s := range streams {
			for _, chunk := range []int{0, 1, 7, 1460} {
				for _, dir := range []parser.Direction{parser.Request, parser.Response} {
					total += newDecodeTwin(p, dir).run(t, s.Data[dir], chunk)
				}
			}
		}
	}
	var all []byte
	for _, args := range battery() {
		all = append(all, encodeCmd(args)...)
	}
	n := newDecodeTwin(p, parser.Request).run(t, all, 0)
	require.Equal(t, len(battery()), n)
	total += n
	t.Logf("%d messages decoded alike", total)
	require.Greater(t, total, 89000) // 89105 when written
}

// FuzzDecode runs arbitrary bytes through both ways, in either direction,
// whole or in chunks.
func FuzzDecode(f *testing.F) {
	reqs, resps := seedMessages(f)
	for _, m := range reqs {
		f.Add(m, false, uint8(0))
	}
	for _, m := range resps {
		f.Add(m, true, uint8(3))
	}
	for _, s := range extraSeeds {
		f.Add([]byte(s), false, uint8(1))
		f.Add([]byte(s), true, uint8(0))
	}
	p := NewProtocol(Options{MaxBulk: 1 << 20, MaxElements: 1 << 12, MaxMessage: 4 << 20})
	f.Fuzz(func(t *testing.T, data []byte, response bool, chunk uint8) {
		dir := parser.Request
		if response {
			dir = parser.Response
		}
		newDecodeTwin(p, dir).run(t, data, int(chunk))
	})
}
