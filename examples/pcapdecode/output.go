package main

import (
	"bufio"
	"encoding/binary"
	"sort"
	"time"

	"github.com/wirekit/wirekit/parser"
)

// rowFormat turns a Record into one output line (ending in '\n').
type rowFormat interface {
	// row appends the line for r to b.
	row(b []byte, r *Record) []byte
}

// Table columns: fixed widths, so that a row can be printed as soon as it
// is known (a live capture or a pipe) and still line up. A wider value
// (an IPv6 address, a long request) pushes the rest of its row right.
var tableColumns = [...]struct {
	name  string
	width int
}{{"TIME", 15}, {"CLIENT", 21}, {"SERVER", 21}, {"PROTO", 6}, {"KIND", 10}, {"REQUEST", 50}, {"RESPONSE", 40}, {"LATENCY", 0}}

const (
	colRequest  = 5
	colResponse = 6
)

// tableFormat prints exchanges as a table: the time of day in UTC to the
// microsecond, and a date line before the first row and whenever the UTC
// date changes.
type tableFormat struct {
	red  *redactor // nil: -redact off
	clk  clock
	day  [10]byte
	seen bool
	js   jsonFormat // attributes printed as JSON (protocols without a column layout)
}

func appendTableHeader(b []byte) []byte {
	for i, c := range tableColumns {
		b = pad(append(b, c.name...), len(b), c.width, i == len(tableColumns)-1)
	}
	return append(b, '\n')
}

// pad appends spaces so that the column started at start is width wide,
// plus two spaces between columns.
func pad(b []byte, start, width int, last bool) []byte {
	if last {
		return b
	}
	for n := len(b) - start; n < width; n++ {
		b = append(b, ' ')
	}
	return append(b, "  "...)
}

func (t *tableFormat) row(b []byte, r *Record) []byte {
	ts := r.Time()
	if d := t.clk.date(ts); !t.seen || string(d) != string(t.day[:]) {
		t.seen = true
		copy(t.day[:], d)
		b = append(append(append(b, "== "...), d...), " (UTC) ==\n"...)
	}
	s := len(b)
	b = pad(t.clk.appendTimeOfDay(b, ts), s, tableColumns[0].width, false)
	s = len(b)
	b = pad(append(b, r.Stream.ClientText...), s, tableColumns[1].width, false)
	s = len(b)
	b = pad(append(b, r.Stream.ServerText...), s, tableColumns[2].width, false)
	s = len(b)
	b = pad(append(b, r.Protocol...), s, tableColumns[3].width, false)
	s = len(b)
	b = pad(append(b, r.Kind.String()...), s, tableColumns[4].width, false)
	s = len(b)
	t.js.red = t.red
	b = pad(clip(appendRequest(b, r.Protocol, r.Request, t), s, tableColumns[colRequest].width), s, tableColumns[colRequest].width, false)
	s = len(b)
	b = pad(clip(appendResponse(b, r.Protocol, r.Response, t), s, tableColumns[colResponse].width), s, tableColumns[colResponse].width, false)
	if r.Kind == parser.Complete {
		b = appendLatency(b, r.latency())
	} else {
		b = append(b, '-')
	}
	return append(b, '\n')
}

// clip makes b[start:] printable (control bytes become '.') and cuts it to
// max bytes, ending in "..." when cut (never inside a UTF-8 sequence).
func clip(b []byte, start, max int) []byte {
	for i := start; i < len(b); i++ {
		if c := b[i]; c < ' ' || c == 0x7f {
			b[i] = '.'
		}
	}
	if len(b)-start <= max {
		return b
	}
	end := start + max - 3
	for end > start && b[end]&0xc0 == 0x80 {
		end--
	}
	return append(b[:end], "..."...)
}

// Time ordering. Exchanges are reported as they complete, connection by
// connection, so a slow response reports its exchange after faster ones
// that started later. The orderer holds formatted rows back and writes
// them in order of their time (Record.Time): a row goes out once the
// decoder's Watermark (no exchange still to come starts before it) has
// passed it, and at the latest when the newest capture time is hold past
// it, or when maxHeld rows are waiting (the oldest goes out first). A row
// that arrives after a later row was written (its exchange started more
// than hold before it was reported) is written at once and counted in
// late. When the input is a pipe or a live capture, everything held is
// also written, and the output flushed, whenever the input pauses
// (idleFlush), so every row appears within a fraction of a second.

const (
	// defaultHold is how long, in capture time, a row may be held back
	// for ordering (-hold).
	defaultHold = 200 * time.Millisecond
	// maxHeld bounds the rows held, and so the memory ordering takes.
	maxHeld = 1 << 16
	// maxStray bounds the rows held out of order within their connection
	// (each one is inserted in place, so this bounds the work per row).
	maxStray = 4096
	// scanEvery is how often, in capture time, the decoder's Watermark is
	// recomputed (it walks the connections with requests waiting).
	scanEvery = time.Millisecond
	// idleFlush is how long a pipe or live input may be silent before
	// every held row is written and flushed.
	idleFlush = 100 * time.Millisecond
)

type heldRow struct {
	ts   int64
	seq  uint64
	line []byte
}

// rowQueue holds one connection's rows waiting for the watermark, in time
// order: a connection reports its exchanges mostly in the order they
// started, so the orderer only has to merge connections (a heap of the
// queues with rows, keyed by their first row) rather than sort rows.
// A row that starts before the last one queued (keyed protocols answer out
// of order) goes into the orderer's own queue of stragglers instead, one
// more sorted source merged the same way.
type rowQueue struct {
	rows []heldRow
	head int
	slot int // index in the orderer's heap, -1 when not in it
}

func (q *rowQueue) empty() bool { return q.head == len(q.rows) }

type orderer struct {
	w     *bufio.Writer
	d     *Decoder
	hold  int64
	flush bool // flush after writing rows (pipes, live capture)

	heap      []*rowQueue // queues with rows, by their first row
	stray     rowQueue    // rows out of order within their connection, kept sorted
	held      int
	free      [][]byte
	seq       uint64
	lastOut   int64 // time of the newest row written
	watermark int64
	nextScan  int64
	written   uint64
	late      uint64 // rows written after a later row
	forced    uint64 // rows written before the watermark passed them (maxHeld)
	dirty     bool
}

func newOrderer(w *bufio.Writer, d *Decoder, hold time.Duration, flush bool) *orderer {
	return &orderer{w: w, d: d, hold: int64(hold), flush: flush, stray: rowQueue{slot: -1}}
}

func (o *orderer) write(ts int64, line []byte) {
	if ts < o.lastOut {
		o.late++
	} else {
		o.lastOut = ts
	}
	o.w.Write(line)
	o.written++
	o.dirty = true
}

// buffer returns an empty buffer for the next row (recycled from rows
// already written); add takes it back.
func (o *orderer) buffer() []byte {
	if n := len(o.free); n > 0 {
		b := o.free[n-1][:0]
		o.free = o.free[:n-1]
		return b
	}
	return nil
}

func (o *orderer) recycle(b []byte) { o.free = append(o.free, b) }

// add takes one formatted row of connection q with its time (UnixNano),
// in a buffer from buffer (which it keeps).
func (o *orderer) add(q *rowQueue, ts int64, line []byte) {
	switch {
	case ts < o.lastOut:
		o.write(ts, line) // late already: holding it cannot help
		o.recycle(line)
	case o.held == 0 && ts <= o.watermark:
		o.write(ts, line)
		o.recycle(line)
	default:
		o.seq++
		r := heldRow{ts: ts, seq: o.seq, line: line}
		first := true // whether q's first row (its key in the heap) may have changed
		if !q.empty() && ts < q.rows[len(q.rows)-1].ts {
			q = &o.stray
			q.insert(r)
			for len(q.rows)-q.head > maxStray {
				o.forced++
				o.pop()
			}
		} else {
			first = q.empty() // else the row goes behind the others
			q.rows = append(q.rows, r)
		}
		o.held++
		if q.slot < 0 {
			q.slot = len(o.heap)
			o.heap = append(o.heap, q)
		}
		if first {
			o.fix(q.slot)
		}
	}
	if latest := o.d.latest.UnixNano(); latest >= o.nextScan || o.held > maxHeld {
		o.nextScan = latest + int64(scanEvery)
		o.watermark = max(o.d.Watermark().UnixNano(), latest-o.hold)
		o.release(o.watermark)
		for o.held > maxHeld {
			o.forced++
			o.pop()
		}
	}
	if o.flush && o.dirty {
		o.w.Flush()
		o.dirty = false
	}
}

// insert puts r into q in time order (the straggler queue only).
func (q *rowQueue) insert(r heldRow) {
	live := q.rows[q.head:]
	i := q.head + sort.Search(len(live), func(i int) bool { return live[i].ts > r.ts })
	q.rows = append(q.rows, heldRow{})
	copy(q.rows[i+1:], q.rows[i:])
	q.rows[i] = r
}

// release writes the held rows up to time w.
func (o *orderer) release(w int64) {
	for len(o.heap) > 0 && o.heap[0].rows[o.heap[0].head].ts <= w {
		o.pop()
	}
}

// releaseAll writes every held row (the input ended or paused) and
// flushes when streaming.
func (o *orderer) releaseAll() {
	for len(o.heap) > 0 {
		o.pop()
	}
	if o.flush && o.dirty {
		o.w.Flush()
		o.dirty = false
	}
}

func (o *orderer) less(i, j int) bool {
	a, b := &o.heap[i].rows[o.heap[i].head], &o.heap[j].rows[o.heap[j].head]
	return a.ts < b.ts || (a.ts == b.ts && a.seq < b.seq)
}

func (o *orderer) swap(i, j int) {
	o.heap[i], o.heap[j] = o.heap[j], o.heap[i]
	o.heap[i].slot, o.heap[j].slot = i, j
}

// fix restores the heap order around slot i after its key changed.
func (o *orderer) fix(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !o.less(i, p) {
			break
		}
		o.swap(i, p)
		i = p
	}
	for n := len(o.heap); ; {
		l, m := 2*i+1, i
		if l < n && o.less(l, m) {
			m = l
		}
		if r := l + 1; r < n && o.less(r, m) {
			m = r
		}
		if m == i {
			return
		}
		o.swap(i, m)
		i = m
	}
}

// pop writes the earliest held row and recycles its buffer.
func (o *orderer) pop() {
	q := o.heap[0]
	top := q.rows[q.head]
	q.rows[q.head] = heldRow{}
	q.head++
	o.held--
	if q.empty() {
		q.rows, q.head = q.rows[:0], 0
		n := len(o.heap) - 1
		o.swap(0, n)
		o.heap[n] = nil
		o.heap = o.heap[:n]
		q.slot = -1
		if n > 0 {
			o.fix(0)
		}
	} else {
		o.fix(0)
	}
	o.write(top.ts, top.line)
	o.recycle(top.line)
}

// appendJSONString appends s as JSON exactly as parser.AppendJSONString
// does, copying runs that need no escaping (almost every attribute key
// and value) in one append rather than byte by byte.
func appendJSONString(b []byte, s string) []byte {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		if needsEscape8(binary.LittleEndian.Uint64([]byte(s[i : i+8]))) {
			return parser.AppendJSONString(b, s)
		}
	}
	for ; i < len(s); i++ {
		if jsonEscape[s[i]] {
			return parser.AppendJSONString(b, s)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// needsEscape8 reports whether any of the 8 bytes in x is one jsonEscape
// marks: a byte >= 0x80, < 0x20, '"' or '\\' (bit tricks on the word: a
// byte of v is zero when v-0x01 borrows into its top bit).
func needsEscape8(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	zero := func(v uint64) uint64 { return (v - ones) & ^v & highs }
	return (x&highs)|((x-0x20*ones) & ^x & highs)|zero(x^('"'*ones))|zero(x^('\\'*ones)) != 0
}

// jsonEscape marks the bytes a JSON string cannot hold as they are
// (control bytes, quote, backslash) and those starting UTF-8 sequences,
// which parser.AppendJSONString validates.
var jsonEscape = func() (t [256]bool) {
	for c := range 256 {
		t[c] = c < 0x20 || c == '"' || c == '\\' || c >= 0x80
	}
	return t
}()
