package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wirekit/wirekit/protocols"
)

func TestHelpExitsZero(t *testing.T) {
	for _, arg := range []string{"-h", "-help", "--help"} {
		var out, errb bytes.Buffer
		require.Equal(t, 0, run([]string{arg}, nil, &out, &errb), arg)
		help := errb.String()
		require.Contains(t, help, "embedded sample capture")
		require.Contains(t, help, "pcapdecode -")
		for _, name := range protocols.Names() {
			require.Contains(t, help, name)
		}
		require.Contains(t, help, "-hold")
	}
	var out, errb bytes.Buffer
	require.Equal(t, 2, run([]string{"-nosuchflag"}, nil, &out, &errb))
}

// TestTruncatedCaptureSaysPartial: a capture cut in the middle of a record
// prints what it held, then says the results are partial, and exits 1.
func TestTruncatedCaptureSaysPartial(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cut.pcap")
	require.NoError(t, os.WriteFile(path, sample[:len(sample)*2/3+7], 0o644))
	var out, errb bytes.Buffer
	require.Equal(t, 1, run([]string{path}, nil, &out, &errb))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Greater(t, len(lines), 20)
	require.Contains(t, lines[len(lines)-1], "results are partial")
	require.Contains(t, lines[len(lines)-2], "total: ")
	require.Contains(t, errb.String(), "results are partial")

	out.Reset()
	errb.Reset()
	require.Equal(t, 1, run([]string{"-json", path}, nil, &out, &errb))
	require.Greater(t, len(readRows(t, out.Bytes())), 20) // stdout stays JSON Lines
	require.Contains(t, errb.String(), "results are partial")

	out.Reset()
	require.Equal(t, 1, run([]string{"-summary", path}, nil, &out, &errb))
	require.Contains(t, out.String(), "results are partial")
}

func TestTotalLine(t *testing.T) {
	var out, errb bytes.Buffer
	require.Equal(t, 0, run(nil, nil, &out, &errb), errb.String())
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	// The sample: 120 exchanges, 2 pub/sub pushes (not printed without -pushes).
	require.Equal(t, "total: 120 exchanges (116 complete, 3 one-way, 1 unanswered, 0 unmatched responses), 2 pushes; 27 connections, 505 packets",
		lines[len(lines)-1])
	rows := 0
	for _, l := range lines[1 : len(lines)-1] {
		if !strings.HasPrefix(l, "== ") {
			rows++
		}
	}
	require.Equal(t, 120, rows)
}

// TestTableShowsSimpleReply: a Redis simple-string reply is shown as its
// text (OK, PONG, QUEUED), not as the type name "simple" (issue 19.6).
func TestTableShowsSimpleReply(t *testing.T) {
	var out, errb bytes.Buffer
	require.Equal(t, 0, run(nil, nil, &out, &errb), errb.String())
	replies := map[string]int{}
	for _, l := range strings.Split(out.String(), "\n") {
		f := strings.Fields(l)
		if len(f) > 5 && f[3] == "redis" && f[4] == "complete" {
			switch f[5] {
			case "PING", "SET", "MULTI", "INCR":
				replies[f[5]+" "+f[len(f)-2]]++
			}
		}
		require.NotContains(t, l, " simple ", "a simple-string reply shown by its type")
	}
	require.Positive(t, replies["PING PONG"], "%v", replies)
	require.Positive(t, replies["SET OK"], "%v", replies)
}

// pcapRecords splits a little-endian pcap file into its header and records.
func pcapRecords(t *testing.T, b []byte) (hdr []byte, recs [][]byte) {
	require.Equal(t, []byte{0xd4, 0xc3, 0xb2, 0xa1}, b[:4])
	hdr, b = b[:24], b[24:]
	for len(b) > 0 {
		n := 16 + int(binary.LittleEndian.Uint32(b[8:12]))
		recs, b = append(recs, b[:n]), b[n:]
	}
	return hdr, recs
}

// TestStreamingFromPipe feeds the sample through a pipe one packet at a
// time, as `tcpdump -U -w - | pcapdecode -` would, and reads the output
// as it comes: each row must appear while the input is still open (in
// the table and in JSON), not at EOF.
func TestStreamingFromPipe(t *testing.T) {
	hdr, recs := pcapRecords(t, sample)
	for _, mode := range [][]string{{"-"}, {"-json", "-"}} {
		t.Run(strings.Join(mode, " "), func(t *testing.T) {
			inR, inW, err := os.Pipe()
			require.NoError(t, err)
			outR, outW, err := os.Pipe()
			require.NoError(t, err)
			done := make(chan int, 1)
			go func() {
				var errb bytes.Buffer
				done <- run(mode, inR, outW, &errb)
				outW.Close()
				inR.Close()
			}()
			lines := make(chan string, 1024)
			go func() {
				sc := bufio.NewScanner(outR)
				for sc.Scan() {
					lines <- sc.Text()
				}
				close(lines)
			}()
			_, err = inW.Write(hdr)
			require.NoError(t, err)
			// Write packets until a row comes out; it must come out
			// within a second of the packet that completes it, long
			// before the input ends.
			sent, rows := 0, 0
			for sent < len(recs) && rows == 0 {
				_, err := inW.Write(recs[sent])
				require.NoError(t, err)
				sent++
				deadline := time.After(20 * time.Millisecond)
			wait:
				for {
					select {
					case l := <-lines:
						if strings.Contains(l, "redis") || strings.Contains(l, "http") {
							rows++
						}
					case <-deadline:
						break wait
					}
				}
			}
			require.Positive(t, rows, "no row before the input ended")
			require.Less(t, sent, len(recs)/2, "first row only after %d of %d packets", sent, len(recs))
			// Pause, as a quiet network does: the rows held for ordering
			// come out within a fraction of a second.
			before := rows
			timeout := time.After(time.Second)
		drain:
			for {
				select {
				case l := <-lines:
					if strings.Contains(l, "127.0.0.1") {
						rows++
					}
				case <-timeout:
					break drain
				}
			}
			t.Logf("%s: first row after %d of %d packets; %d rows by then, %d after a pause", mode, sent, len(recs), before, rows)
			for _, r := range recs[sent:] {
				_, err := inW.Write(r)
				require.NoError(t, err)
			}
			inW.Close()
			total := rows
			for l := range lines {
				if strings.Contains(l, "127.0.0.1") {
					total++
				}
			}
			require.Equal(t, 0, <-done)
			require.Equal(t, 120, total)
		})
	}
}
