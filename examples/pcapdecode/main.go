// Command pcapdecode reads pcap or pcapng captures and prints the
// request/response exchanges of the Redis, HTTP/1.x, Kafka and Dubbo2
// connections in them: it reassembles TCP, detects each connection's
// protocol from its first bytes, frames and parses both directions, and
// pairs requests with responses.
//
//	go run ./examples/pcapdecode [flags] [FILE...]
//
// With no FILE it decodes a small sample capture embedded in the binary
// (real HTTP, Redis, Kafka and Dubbo2 traffic); "-" reads standard input,
// for example `tcpdump -U -w - port 6379 | pcapdecode -`. Flags:
//
//	-json          one JSON object per exchange (JSON Lines); attribute names
//	               are the protocol packages' constants
//	-summary       per-protocol counts, errors and latency percentiles
//	               (p50, p90, p99, p99.9, max) per operation, and everything
//	               that was not parsed
//	-proto P=NAME  parse connections to server port P as protocol NAME
//	               (protocols.Names()), skipping detection
//	-pushes        also print unsolicited responses (pub/sub messages)
//	-redact LEVEL  mask secrets in the values the table and -json print
//	               (package redact): default (the default: a person
//	               analysing their own capture) masks the values of
//	               sensitive names (query parameters such as token=,
//	               header fields such as Authorization, Dubbo attachments
//	               and argument members such as auth or password); strict
//	               also masks every query value, the quoted parts of error
//	               replies (a Redis error echoing the command's arguments)
//	               and exception messages; off prints values as sent. The
//	               -summary groups HTTP by path without its query, so it
//	               prints no query values at any level
//	-header NAME   also capture HTTP header field NAME as the attribute
//	               http.header.<name> (repeatable, at most 16)
//	-dubbo-decode  decode Dubbo2 arguments and attachments into
//	               dubbo2.arguments and dubbo2.attachments (JSON text)
//	-hold D        how long a row may be held back for time ordering
//	               (capture time, default 200ms)
//	-i IFACE       capture live from an interface (lo, eth0, any; needs
//	               root) instead of reading files: -f 'FILTER' is a
//	               pcap-filter expression run in the kernel, -w FILE also
//	               records the frames to pcapng, -duration D stops after D
//	               (else SIGINT/SIGTERM); the capture's counters, kernel
//	               drops included, are printed at the end
//	-kafka BROKERS -topic T
//	               also export every exchange (pushes with -pushes) to
//	               Kafka topic T through package export: one record per
//	               exchange as export.Encoder writes it, keyed by the
//	               connection, the producer bounded and never blocking
//	               (package kafkasink). Exports leave the machine, so they
//	               are redacted strict unless -redact is given, which then
//	               sets their level too. -kafka-agent NAME names this host
//	               in the records (default the host name),
//	               -kafka-compression lz4|zstd|snappy|gzip|none. At the
//	               end the producer's counters (offered, acknowledged,
//	               dropped by reason) go to standard error, after waiting
//	               up to 10 s for acknowledgements; the exit status is 1
//	               if any exchange was dropped. Works with files, standard
//	               input and -i
//	-from-kafka BROKERS -topic T
//	               read the traffic a dump.Dumper with a kafkasink.Sink
//	               wrote to topic T instead of files, decoded as a capture
//	               file is (package playback: partitions merged in capture
//	               order, every connection rebuilt in order; items the
//	               producer dropped show as gaps). -since and -until
//	               (RFC 3339) select items by capture time, -offsets
//	               P:START-END,... by offsets per partition (END
//	               exclusive, empty for the end). The range is fixed when
//	               reading starts and held in memory (1 GiB at most, else
//	               an error). What was read (records, items, malformed,
//	               other formats, filtered) is printed at the end
//
// Brokers are host:port, comma-separated.
//
// Output. The table has fixed column widths, times of day in UTC to the
// microsecond, a date line before the first row and whenever the date
// changes, and a total line at the end. Rows, in the table and in JSON, are
// in time order (the request's time, or the response's when there is no
// request): exchanges complete connection by connection, so a row is held
// back until no exchange still to come can start before it, and at most
// -hold of capture time (or 65536 rows); a row whose exchange started
// more than that before it completed is printed when it completes and
// counted as out of order in the total line. When the input is a pipe
// (or a live capture), each row is written and flushed as soon as it is
// released, and every held row is released whenever the input pauses for
// 100ms, so rows appear within a fraction of a second.
//
// Speed. Nothing is allocated per exchange: one Record per connection is
// reused, endpoint strings are formatted once per connection, timestamps
// once per second of capture time, and latencies go into fixed-size
// histograms (package metrics) rather than stored samples. -json writes
// what repeats from row to row (a connection's endpoints, attribute keys,
// interned values such as command names) from text made once; -summary
// finds an exchange's operation by its interned name's address, not by
// building and hashing the name. BENCHMARKS.md compares it with the
// library alone and with tshark.
//
// A capture that ends in the middle of a record prints what it held and
// a note that results are partial, and exits with status 1.
package main

import (
	"bufio"
	"bytes"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/protocols"
	"github.com/wirekit/wirekit/redact"
)

//go:embed testdata/sample.pcap
var sample []byte

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// listFlag collects the values of a repeatable flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	*l = append(*l, v)
	return nil
}

type portFlag map[uint16]string

func (p portFlag) String() string { return fmt.Sprint(map[uint16]string(p)) }

func (p portFlag) Set(v string) error {
	port, name, ok := strings.Cut(v, "=")
	n, err := strconv.ParseUint(port, 10, 16)
	if !ok || err != nil || n == 0 {
		return fmt.Errorf("want PORT=NAME, got %q", v)
	}
	p[uint16(n)] = name
	return nil
}

// session is one run: the decoder, where its exchanges go, and the
// options. Modes (reading capture files or standard input, and any other
// packet source) feed packets into dec and call finish.
type session struct {
	dec     *Decoder
	sum     *summary
	out     *bufio.Writer
	format  rowFormat // nil with -summary
	ord     *orderer  // nil with -summary
	pushes  bool
	stream  bool // flush rows as they are released (pipe or live input)
	hold    time.Duration
	started time.Time
	stderr  io.Writer
	exp     *exporter // -kafka, else nil
}

func (s *session) emit(r *Record) {
	if s.exp != nil && (r.Kind != parser.Push || s.pushes) {
		s.exp.export(r)
	}
	if s.format == nil {
		s.sum.add(r)
		return
	}
	if int(r.Kind) < len(s.sum.total) { // for the total line
		s.sum.total[r.Kind]++
	}
	if r.Kind == parser.Push && !s.pushes {
		return
	}
	s.ord.add(&r.Stream.rows, r.Time().UnixNano(), s.format.row(s.ord.buffer(), r))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("pcapdecode", flag.ContinueOnError)
	fs.SetOutput(stderr)
	jsonOut := fs.Bool("json", false, "print JSON Lines, one object per exchange")
	summaryOnly := fs.Bool("summary", false, "print per-protocol statistics (counts, errors, latency percentiles) instead of exchanges")
	pushes := fs.Bool("pushes", false, "also print unsolicited responses (pub/sub messages)")
	hold := fs.Duration("hold", defaultHold, "longest a row is held back (in capture time) to print rows in time order")
	live := addLiveFlags(fs) // live.go: -i, -f, -w, -duration, -snaplen
	kf := addKafkaFlags(fs)  // kafka.go: -kafka, -from-kafka, -topic, ...
	redactLevel := fs.String("redact", "default", "mask secrets in printed values at `level` off, default (values of sensitive names: query parameters, header fields, Dubbo attachments) or strict (also every query value, quoted parts of error replies, exception messages); it also sets -kafka's level, strict without it")
	var headers listFlag
	fs.Var(&headers, "header", "HTTP header field `NAME` to print as the attribute http.header.<name> (repeatable, at most 16)")
	dubboDecode := fs.Bool("dubbo-decode", false, "decode Dubbo2 arguments and attachments (dubbo2.arguments, dubbo2.attachments as JSON)")
	ports := portFlag{}
	fs.Var(ports, "proto", "PORT=NAME: parse connections to server port PORT as protocol NAME (repeatable); NAME is one of "+
		strings.Join(protocols.Names(), ", "))
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintln(w, "usage: pcapdecode [-json | -summary] [-redact off|default|strict] [-pushes] [-hold D] [-proto PORT=NAME]...")
		fmt.Fprintln(w, "                  [-header NAME]... [-dubbo-decode] [-kafka BROKERS -topic T] [FILE|-]...")
		fmt.Fprintln(w, "       pcapdecode [flags] -i IFACE [-f FILTER] [-w FILE] [-duration D]")
		fmt.Fprintln(w, "       pcapdecode [flags] -from-kafka BROKERS -topic T [-since TIME] [-until TIME] [-offsets P:START-END,...]")
		fmt.Fprintln(w, "Decodes pcap/pcapng captures (gzip too) into request/response exchanges of the protocols")
		fmt.Fprintln(w, "  "+strings.Join(protocols.Names(), ", ")+" (detected from the first bytes, or forced with -proto).")
		fmt.Fprintln(w, "With no FILE it decodes an embedded sample capture (real HTTP, Redis, Kafka and Dubbo2 traffic);")
		fmt.Fprintln(w, `"-" reads standard input, e.g. tcpdump -U -w - port 6379 | pcapdecode -`)
		fmt.Fprintln(w, "Printed values are redacted at the default level; exports (-kafka) strictly unless -redact is given.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	level, err := redact.ParseLevel(*redactLevel)
	if err != nil {
		fmt.Fprintln(stderr, "pcapdecode: -redact:", err)
		return 2
	}
	protos, err := decoderProtocols(headers, *dubboDecode)
	if err != nil {
		fmt.Fprintln(stderr, "pcapdecode:", err)
		return 2
	}
	overrides := map[uint16]*parser.Protocol{}
	for port, name := range ports {
		p := protocolNamed(protos, name)
		if p == nil {
			fmt.Fprintf(stderr, "pcapdecode: unknown protocol %q (known: %s)\n", name, strings.Join(protocols.Names(), ", "))
			return 2
		}
		overrides[port] = p
	}
	if *hold < 0 {
		fmt.Fprintln(stderr, "pcapdecode: -hold must not be negative")
		return 2
	}

	if err := kf.check(); err != nil {
		fmt.Fprintln(stderr, "pcapdecode:", err)
		return 2
	}
	explicitRedact := false
	fs.Visit(func(f *flag.Flag) { explicitRedact = explicitRedact || f.Name == "redact" })
	exp, err := kf.newExporter(level, explicitRedact)
	if err != nil {
		fmt.Fprintln(stderr, "pcapdecode:", err)
		return 2
	}

	s := &session{sum: newSummary(), out: bufio.NewWriterSize(stdout, 64<<10), pushes: *pushes, hold: *hold,
		started: time.Now(), stderr: stderr, exp: exp}
	defer s.out.Flush()
	switch {
	case *jsonOut:
		s.format = &jsonFormat{red: newRedactor(level)}
	case !*summaryOnly:
		s.format = &tableFormat{red: newRedactor(level)}
		s.out.Write(appendTableHeader(nil))
	}
	emit := s.emit
	if s.format == nil && s.exp == nil {
		emit = s.sum.add // -summary alone: nothing else to do per exchange
	}
	s.dec = NewDecoder(protos, overrides, emit)

	// Modes: where the packets come from. Each feeds s.dec; finish then
	// reports. Capture files and standard input:
	err = s.readSource(live, kf, fs.Args(), stdin) // -i (live.go), -from-kafka (kafka.go), else readInputs

	s.finish()
	live.report(s)
	kf.report(s)
	if s.exp != nil {
		s.out.Flush()
		if eerr := s.exp.close(stderr); eerr != nil {
			fmt.Fprintln(stderr, "pcapdecode:", eerr)
			if err == nil {
				return 1
			}
		}
	}
	if err != nil {
		s.out.Flush()
		if errors.Is(err, io.ErrUnexpectedEOF) {
			msg := fmt.Sprintf("pcapdecode: %v: the capture ends in the middle of a packet record: results are partial", err)
			if s.format != nil && *jsonOut {
				fmt.Fprintln(stderr, msg)
			} else {
				fmt.Fprintln(stdout, msg)
				fmt.Fprintln(stderr, msg)
			}
			return 1
		}
		fmt.Fprintln(stderr, "pcapdecode:", err, "(results are partial)")
		return 1
	}
	return 0
}

// newOrderer makes the session's orderer once it knows whether the input
// streams (called by each mode before it feeds packets).
func (s *session) start(stream bool) {
	s.stream = stream
	if s.format != nil && s.ord == nil {
		s.dec.Order = true
		s.ord = newOrderer(s.out, s.dec, s.hold, stream)
		if stream {
			s.out.Flush() // the header
		}
	}
}

// finish reports the connections still open and writes what is held, the
// total line under the table, or the summary.
func (s *session) finish() {
	if s.ord == nil {
		s.start(false)
	}
	s.dec.Finish()
	if s.ord != nil {
		s.ord.releaseAll()
	}
	switch {
	case s.format == nil:
		s.sum.write(s.out, s.dec, time.Since(s.started))
	case s.ord != nil:
		if _, table := s.format.(*tableFormat); table {
			s.sum.writeTotal(s.out, s.dec, s.ord)
		} else if s.ord.late > 0 {
			fmt.Fprintf(s.stderr, "pcapdecode: %d rows out of time order (held back at most %v)\n", s.ord.late, s.hold)
		}
	}
}

// readInputs decodes the capture files named (stdin for "-"), or the
// embedded sample when there are none.
func (s *session) readInputs(files []string, stdin io.Reader) error {
	progress := terminal(s.stderr)
	read := func(r io.Reader) error {
		if s.stream {
			r = newIdleReader(r, idleFlush, s.ord.releaseAll)
		} else if progress != nil {
			r = &progressReader{r: r, d: s.dec, w: progress, start: time.Now()}
		}
		return s.dec.Read(r)
	}
	if len(files) == 0 {
		s.start(false)
		return read(bytes.NewReader(sample))
	}
	for _, name := range files {
		r := stdin
		if name != "-" {
			f, err := os.Open(name)
			if err != nil {
				return err
			}
			defer f.Close()
			r = f
		}
		s.start(s.stream || isStream(r))
		if err := read(r); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	if progress != nil && !s.stream {
		fmt.Fprint(progress, "\r\033[K")
	}
	return nil
}

// isStream reports whether r is a pipe, FIFO, socket or terminal rather
// than a regular file: its rows are then flushed as they are released.
func isStream(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && !st.Mode().IsRegular()
}

// terminal returns w when it is a terminal, for progress output, else nil.
func terminal(w io.Writer) io.Writer {
	f, ok := w.(*os.File)
	if !ok {
		return nil
	}
	if st, err := f.Stat(); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	return f
}

// progressReader prints packets, bytes, elapsed time and rate at most once
// a second as the capture is read. It runs on the decoding goroutine (the
// reader is called between packets), so it can read the assembler's
// counters without locks.
type progressReader struct {
	r     io.Reader
	d     *Decoder
	w     io.Writer
	n     int64
	start time.Time
	last  time.Time
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n += int64(n)
	if now := time.Now(); now.Sub(p.last) >= time.Second {
		p.last = now
		el := now.Sub(p.start).Seconds()
		fmt.Fprintf(p.w, "\r\033[K%d packets, %.1f MB, %.0fs, %.1f MB/s", p.d.AssemblerStats().Packets,
			float64(p.n)/1e6, el, float64(p.n)/1e6/max(el, 1e-9))
	}
	return n, err
}
