// Command pcapdecode reads pcap or pcapng captures and prints the
// request/response exchanges of the Redis, HTTP/1.x, Kafka and Dubbo2
// connections in them: it reassembles TCP, detects each connection's
// protocol from its first bytes, frames and parses both directions, and
// pairs requests with responses.
//
//	go run ./examples/pcapdecode [flags] [FILE...]
//
// With no FILE it decodes a small sample capture embedded in the binary;
// "-" reads standard input. Flags:
//
//	-json          one JSON object per exchange (JSON Lines); attribute names
//	               are the protocol packages' constants
//	-summary       per-protocol counts, errors and latency percentiles per
//	               operation, and everything that was not parsed
//	-proto P=NAME  parse connections to server port P as protocol NAME
//	               (redis, http, kafka, dubbo2), skipping detection
//	-pushes        also print unsolicited responses (pub/sub messages)
package main

import (
	"bufio"
	"bytes"
	_ "embed"

	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/wirekit/wirekit/parser"
)

//go:embed testdata/sample.pcap
var sample []byte

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
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

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("pcapdecode", flag.ContinueOnError)
	fs.SetOutput(stderr)
	jsonOut := fs.Bool("json", false, "print JSON Lines, one object per exchange")
	summaryOnly := fs.Bool("summary", false, "print per-protocol statistics instead of exchanges")
	pushes := fs.Bool("pushes", false, "also print unsolicited responses (pub/sub messages)")
	ports := portFlag{}
	fs.Var(ports, "proto", "PORT=NAME: parse connections to server port PORT as protocol NAME (repeatable)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: pcapdecode [-json] [-summary] [-pushes] [-proto PORT=NAME]... [FILE|-]...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	protos := builtinProtocols()
	byName := map[string]*parser.Protocol{}
	var names []string
	for _, p := range protos {
		byName[p.Name] = p
		names = append(names, p.Name)
	}
	overrides := map[uint16]*parser.Protocol{}
	for port, name := range ports {
		p := byName[name]
		if p == nil {
			fmt.Fprintf(stderr, "pcapdecode: unknown protocol %q (known: %s)\n", name, strings.Join(names, ", "))
			return 2
		}
		overrides[port] = p
	}

	out := bufio.NewWriterSize(stdout, 64<<10)
	defer out.Flush()
	sum := newSummary()
	var table *tableWriter
	if !*jsonOut && !*summaryOnly {
		table = newTableWriter(out)
	}
	var line []byte
	dec := NewDecoder(protos, overrides, func(r *Record) {
		sum.add(r)
		if *summaryOnly || (r.Kind == parser.Push && !*pushes) {
			return
		}
		if *jsonOut {
			line = appendJSON(line[:0], r)
			out.Write(line)
			return
		}
		table.write(r)
	})

	start := time.Now()
	err := readInputs(fs.Args(), stdin, dec, terminal(stderr))
	dec.Finish()
	if table != nil {
		table.flush()
	}
	if *summaryOnly {
		sum.write(out, dec, time.Since(start))
	}
	if err != nil {
		out.Flush()
		fmt.Fprintln(stderr, "pcapdecode:", err)
		return 1
	}
	return 0
}

func readInputs(files []string, stdin io.Reader, dec *Decoder, progress io.Writer) error {
	read := func(r io.Reader) error {
		if progress == nil {
			return dec.Read(r)
		}
		return dec.Read(&progressReader{r: r, d: dec, w: progress, start: time.Now()})
	}
	if len(files) == 0 {
		return read(bytes.NewReader(sample))
	}
	for _, name := range files {
		var r io.Reader = stdin
		if name != "-" {
			f, err := os.Open(name)
			if err != nil {
				return err
			}
			defer f.Close()
			r = f
		}
		if err := read(r); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	if progress != nil {
		fmt.Fprint(progress, "\r\033[K")
	}
	return nil
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
