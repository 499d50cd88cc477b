package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/wirekit/wirekit/capture"
)

// liveMode is the live-capture mode: -i IFACE [-f FILTER] [-w FILE]
// [-duration D]. Frames come from package capture (one worker, since the
// Decoder is single-threaded) and go into the same Decoder, table, JSON and
// summary as a capture file; SIGINT or SIGTERM, or the duration, stops the
// capture, and the capture's own counters (kernel drops included) are
// printed after the summary or the total line.
type liveMode struct {
	iface, filter, write *string
	duration             *time.Duration
	snaplen              *int

	stats capture.Stats
	ran   bool
}

func addLiveFlags(fs *flag.FlagSet) *liveMode {
	return &liveMode{
		iface:    fs.String("i", "", "capture live from interface `IFACE` (lo, eth0, any) instead of reading files; needs root"),
		filter:   fs.String("f", "", "pcap-filter `expression` for -i, run in the kernel (e.g. 'tcp port 6379')"),
		write:    fs.String("w", "", "with -i, also record the captured frames to `FILE` (pcapng)"),
		duration: fs.Duration("duration", 0, "with -i, stop after this long (0: until SIGINT/SIGTERM)"),
		snaplen:  fs.Int("snaplen", capture.DefaultSnaplen, "with -i, bytes kept of each frame"),
	}
}

// readSource decodes the live interface when -i is given, a Kafka topic
// with -from-kafka, else the files.
func (s *session) readSource(lm *liveMode, kf *kafkaFlags, files []string, stdin io.Reader) error {
	if *lm.iface == "" {
		if *lm.filter != "" || *lm.write != "" || *lm.duration != 0 {
			return errors.New("-f, -w and -duration need -i")
		}
		if *kf.from != "" {
			if len(files) > 0 {
				return errors.New("-from-kafka reads a topic: give no FILE")
			}
			return s.readKafka(kf)
		}
		return s.readInputs(files, stdin)
	}
	if len(files) > 0 || *kf.from != "" {
		return errors.New("-i reads an interface: give no FILE or -from-kafka")
	}
	return s.readLive(lm)
}

// readLive captures until a signal or the duration.
func (s *session) readLive(lm *liveMode) error {
	opts := capture.Options{Interface: *lm.iface, Filter: *lm.filter, Snaplen: *lm.snaplen, Workers: 1}
	var rec *bufio.Writer
	var recFile *os.File
	if *lm.write != "" {
		f, err := os.Create(*lm.write)
		if err != nil {
			return err
		}
		recFile, rec = f, bufio.NewWriterSize(f, 1<<20)
		opts.Record = rec
	}
	h, err := capture.Open(opts)
	if err != nil {
		if recFile != nil {
			recFile.Close()
		}
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *lm.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *lm.duration)
		defer cancel()
	}
	s.start(true)
	fmt.Fprintf(s.stderr, "pcapdecode: listening on %s (%s), Ctrl-C stops\n", *lm.iface, filterText(*lm.filter))
	// The consumer runs on the capture's one worker goroutine; run waits
	// for Run to return before the session is used again, so the session
	// and its Decoder are only ever used by one goroutine at a time.
	err = h.Run(ctx, func(int) capture.Consumer { return &liveConsumer{s: s} })
	err = errors.Join(err, h.Close())
	lm.stats, lm.ran = h.Stats(), true
	if rec != nil {
		err = errors.Join(err, rec.Flush(), recFile.Close())
	}
	return err
}

func filterText(f string) string {
	if f == "" {
		return "no filter"
	}
	return "filter " + f
}

// liveConsumer feeds frames to the session's Decoder and, when no frame
// has come for idleFlush, releases the rows held for time ordering.
type liveConsumer struct {
	s      *session
	frames uint64
	seen   uint64
	quiet  time.Time
}

func (c *liveConsumer) Packet(p *capture.Packet) {
	c.frames++
	c.s.dec.Packet(p.Link, p.Data, p.Timestamp)
}

func (c *liveConsumer) Idle(now time.Time) {
	if c.frames != c.seen {
		c.seen, c.quiet = c.frames, now
		return
	}
	if c.s.ord != nil && !c.quiet.IsZero() && now.Sub(c.quiet) >= idleFlush {
		c.s.ord.releaseAll()
		c.s.out.Flush()
		c.quiet = time.Time{}
	}
}

func (c *liveConsumer) Close() {}

// report prints the capture's counters after a live run: to standard
// output under the summary or table, to standard error with -json.
func (lm *liveMode) report(s *session) {
	if !lm.ran {
		return
	}
	w := io.Writer(s.out)
	if _, isJSON := s.format.(*jsonFormat); isJSON {
		s.out.Flush()
		w = s.stderr
	}
	st := lm.stats
	fmt.Fprintf(w, "capture %s: %d frames, %d dropped by the kernel, %d ring freezes, %d truncated by the snaplen, %d not TCP or undecodable",
		*lm.iface, st.Packets, st.KernelDrops, st.KernelFreezes, st.Truncated, s.dec.PcapStats().NotTCP)
	if *lm.write != "" {
		fmt.Fprintf(w, ", %d recorded to %s", st.RecordedPackets, *lm.write)
	}
	fmt.Fprintln(w)
}
