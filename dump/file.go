package dump

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// encoder turns items into bytes of one output format.
type encoder interface {
	ext() string
	// begin appends the file header and resets per-file state.
	begin(dst []byte) []byte
	encode(dst []byte, it *Item) []byte
}

// FileOptions configure a rotating file sink.
type FileOptions struct {
	// Dir is the directory files are written to, created if missing with
	// mode 0700 (its missing parents too); files are created with mode
	// 0600, since they hold full payloads. Required.
	Dir string
	// Prefix starts every file name, default "dump". Files are named
	// PREFIX-YYYYMMDDTHHMMSS.NNNNNNNNNZ-SEQ.EXT and are self-contained (each
	// pcapng file has its own header and handshakes).
	Prefix string
	// MaxFileBytes rotates a file once it has reached this size, default
	// 64 MiB. Rotation happens between batches, so a file can exceed it by
	// up to one batch (Config.BatchBytes plus framing).
	MaxFileBytes int64
	// MaxFileAge rotates a file older than this, default 1 h.
	MaxFileAge time.Duration
	// MaxTotalBytes caps the bytes kept by this sink: after a rotation the
	// oldest files are deleted until the total fits, default 1 GiB.
	MaxTotalBytes int64
	// Clock names and ages files, default SystemClock.
	Clock Clock
}

// FileSinkStats are counters of a file sink.
type FileSinkStats struct {
	// Files and Bytes kept now (after deletions).
	Files int
	Bytes int64
	// Created and Removed count files over the sink's life.
	Created, Removed uint64
	// WriteErrors counts failed file writes or creations (a full disk shows
	// up here: the sink truncates the file to its last complete batch, stops,
	// and starts a new file when the Dumper retries).
	WriteErrors uint64
	LastError   error
}

// file is what a FileSink needs of an *os.File; tests substitute failing
// files to simulate a full disk.
type file interface {
	io.Writer
	Truncate(size int64) error
	Close() error
}

// FileSink is a Sink writing pcapng or JSON Lines files with rotation by
// size and age and a cap on total bytes. A batch is written with one write
// call at Flush; a failed write (disk full, I/O error) truncates the file
// back to its last complete batch, closes it and returns the error, so every
// file stays readable to the end and the Dumper counts the batch as lost.
// The next batch, after the Dumper's back-off, starts a new file: the sink
// recovers by itself when space returns. Deleting old files for
// MaxTotalBytes also frees space.
type FileSink struct {
	o    FileOptions
	enc  encoder
	name string
	open func(path string) (file, error)

	f       file
	path    string
	opened  time.Time
	size    int64 // bytes of f known to be complete
	buf     []byte
	seq     uint64
	files   []keptFile // oldest first, the open one last
	total   int64
	created uint64
	removed uint64
	errs    uint64
	lastErr error
}

type keptFile struct {
	path string
	size int64
}

// NewPcapngFileSink returns a rotating pcapng sink (see the pcapng notes in
// the package documentation).
func NewPcapngFileSink(o FileOptions) (*FileSink, error) {
	return newFileSink(o, newPcapngEncoder(), "pcapng")
}

// NewJSONLFileSink returns a rotating JSON Lines sink.
func NewJSONLFileSink(o FileOptions) (*FileSink, error) {
	return newFileSink(o, jsonlEncoder{}, "jsonl")
}

func newFileSink(o FileOptions, enc encoder, kind string) (*FileSink, error) {
	if o.Dir == "" {
		return nil, fmt.Errorf("%w: FileOptions.Dir is empty", ErrInvalidConfig)
	}
	if o.Prefix == "" {
		o.Prefix = "dump"
	}
	if o.MaxFileBytes == 0 {
		o.MaxFileBytes = 64 << 20
	}
	if o.MaxFileAge == 0 {
		o.MaxFileAge = time.Hour
	}
	if o.MaxTotalBytes == 0 {
		o.MaxTotalBytes = 1 << 30
	}
	if o.Clock == nil {
		o.Clock = SystemClock{}
	}
	if o.MaxFileBytes < 0 || o.MaxFileAge < 0 || o.MaxTotalBytes < 0 {
		return nil, fmt.Errorf("%w: negative FileOptions limit", ErrInvalidConfig)
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil { // dumps hold full payloads (passwords included): owner only
		return nil, err
	}
	s := &FileSink{o: o, enc: enc, name: kind + ":" + filepath.Join(o.Dir, o.Prefix)}
	s.open = func(p string) (file, error) {
		return os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	}
	return s, nil
}

// Name returns "pcapng:DIR/PREFIX" or "jsonl:DIR/PREFIX".
func (s *FileSink) Name() string { return s.name }

// Write encodes it into the batch buffer, opening a new file first if none
// is open (or the open one is too old).
func (s *FileSink) Write(it *Item) error {
	if s.f != nil && len(s.buf) == 0 && s.o.Clock.Now().Sub(s.opened) >= s.o.MaxFileAge {
		s.closeFile()
	}
	if s.f == nil {
		if len(s.buf) != 0 { // leftovers of a batch that failed in another sink call
			s.buf = s.buf[:0]
		}
		if err := s.newFile(); err != nil {
			return s.fail(err)
		}
		s.buf = s.enc.begin(s.buf)
	}
	s.buf = s.enc.encode(s.buf, it)
	return nil
}

// Flush writes the batch with one write call, then rotates if the file
// reached MaxFileBytes or MaxFileAge.
func (s *FileSink) Flush() error {
	if len(s.buf) == 0 || s.f == nil {
		s.buf = s.buf[:0]
		return nil
	}
	n, err := s.f.Write(s.buf)
	if err == nil && n != len(s.buf) {
		err = io.ErrShortWrite
	}
	if err != nil {
		return s.fail(err)
	}
	s.buf = s.buf[:0]
	s.size += int64(n)
	s.total += int64(n)
	s.files[len(s.files)-1].size = s.size
	if s.size >= s.o.MaxFileBytes || s.o.Clock.Now().Sub(s.opened) >= s.o.MaxFileAge {
		s.closeFile()
		s.enforceCap()
	}
	return nil
}

// Close flushes and closes the current file.
func (s *FileSink) Close() error {
	err := s.Flush()
	if s.f != nil {
		if cerr := s.f.Close(); err == nil {
			err = cerr
		}
		s.f = nil
	}
	s.enforceCap()
	return err
}

// Files returns the paths of the files kept, oldest first.
func (s *FileSink) Files() []string {
	out := make([]string, len(s.files))
	for i, f := range s.files {
		out[i] = f.path
	}
	return out
}

// FileStats returns the sink's file counters. Like every FileSink method it
// must not race with the Dumper's calls: call it after Dumper.Close, or from
// a Sink wrapper.
func (s *FileSink) FileStats() FileSinkStats {
	return FileSinkStats{Files: len(s.files), Bytes: s.total, Created: s.created, Removed: s.removed,
		WriteErrors: s.errs, LastError: s.lastErr}
}

func (s *FileSink) newFile() error {
	now := s.o.Clock.Now().UTC()
	for tries := 0; ; tries++ {
		s.seq++
		name := s.o.Prefix + "-" + now.Format("20060102T150405.000000000Z") + "-" +
			strconv.FormatUint(s.seq, 10) + "." + s.enc.ext()
		p := filepath.Join(s.o.Dir, name)
		f, err := s.open(p)
		if errors.Is(err, os.ErrExist) && tries < 100 {
			continue
		}
		if err != nil {
			return err
		}
		s.f, s.path, s.opened, s.size = f, p, now, 0
		s.files = append(s.files, keptFile{path: p})
		s.created++
		return nil
	}
}

// fail handles a write error: cut the file back to its last complete batch
// (this also returns the space a partial write took), close it, drop the
// batch, and remember the error.
func (s *FileSink) fail(err error) error {
	s.errs++
	s.lastErr = err
	s.buf = s.buf[:0]
	if s.f != nil {
		_ = s.f.Truncate(s.size)
		_ = s.f.Close()
		s.f = nil
		if s.size == 0 { // nothing complete in it: do not keep an empty file
			_ = os.Remove(s.path)
			s.files = s.files[:len(s.files)-1]
		}
	}
	return fmt.Errorf("dump: %s: %w", s.name, err)
}

func (s *FileSink) closeFile() {
	if s.f == nil {
		return
	}
	_ = s.f.Close()
	s.f = nil
	if s.size == 0 {
		_ = os.Remove(s.path)
		s.files = s.files[:len(s.files)-1]
	}
}

// enforceCap deletes the oldest closed files while the total is over
// MaxTotalBytes.
func (s *FileSink) enforceCap() {
	for s.total > s.o.MaxTotalBytes && len(s.files) > 0 {
		if s.f != nil && len(s.files) == 1 {
			return // never delete the file being written
		}
		old := s.files[0]
		if err := os.Remove(old.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.lastErr = err
			return
		}
		s.files = s.files[1:]
		s.total -= old.size
		s.removed++
	}
}

// WriterSink is a Sink writing one pcapng or JSON Lines stream to an
// io.Writer, without rotation: for pipes, sockets, buffers and tests. A
// write error is returned as is; what the writer kept of the failed batch is
// up to it.
type WriterSink struct {
	w       io.Writer
	enc     encoder
	name    string
	buf     []byte
	started bool // the header is in buf or was written
}

// NewPcapngWriterSink returns a sink writing one pcapng section to w.
func NewPcapngWriterSink(w io.Writer) *WriterSink {
	return &WriterSink{w: w, enc: newPcapngEncoder(), name: "pcapng:writer"}
}

// NewJSONLWriterSink returns a sink writing JSON Lines to w.
func NewJSONLWriterSink(w io.Writer) *WriterSink {
	return &WriterSink{w: w, enc: jsonlEncoder{}, name: "jsonl:writer"}
}

// Name returns "pcapng:writer" or "jsonl:writer".
func (s *WriterSink) Name() string { return s.name }

// Write encodes it into the batch buffer.
func (s *WriterSink) Write(it *Item) error {
	if !s.started {
		s.buf = s.enc.begin(s.buf[:0])
		s.started = true
	}
	s.buf = s.enc.encode(s.buf, it)
	return nil
}

// Flush writes the batch.
func (s *WriterSink) Flush() error {
	if len(s.buf) == 0 {
		return nil
	}
	_, err := s.w.Write(s.buf)
	s.buf = s.buf[:0]
	if err != nil {
		// Start over with a header: the writer may not have kept the one
		// that was in the failed batch.
		s.started = false
	}
	return err
}

// Close flushes; it does not close the writer.
func (s *WriterSink) Close() error { return s.Flush() }
