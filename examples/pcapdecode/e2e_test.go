package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wirekit/wirekit/pcaptest"
	"github.com/wirekit/wirekit/protocols"
)

// row is one exchange as the truth files and -json both write it.
type row struct {
	Protocol string         `json:"protocol"`
	Client   string         `json:"client"`
	Server   string         `json:"server"`
	Kind     string         `json:"kind"`
	Request  map[string]any `json:"request"`
	Response map[string]any `json:"response"`
	Seq      int            `json:"seq"`
}

func readRows(t *testing.T, b []byte) []row {
	var rows []row
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var r row
		require.NoError(t, json.Unmarshal(sc.Bytes(), &r), sc.Text())
		rows = append(rows, r)
	}
	require.NoError(t, sc.Err())
	return rows
}

// knownExceptions lists truth rows the decoder is allowed to disagree
// with, each with its reason. It is empty: every field of every capture
// agrees. An entry would read {"capture.pcap", "client", seq}: "why".
var knownExceptions = map[string]string{}

// TestCorpusAgreesWithTruth runs the program, as a user would with -json,
// on every capture in the corpus (pcaptest.Corpus) that has a truth file, and compares every
// exchange with the truth field by field. For each protocol, the fields
// compared are all the fields its truth rows use: a field the truth lists
// must be present with the same value, and a field the truth leaves out of
// a row (a Redis command without a key, a Kafka request without a topic)
// must be absent.
func TestCorpusAgreesWithTruth(t *testing.T) {
	truths, err := filepath.Glob(pcaptest.Corpus("*.truth.jsonl"))
	require.NoError(t, err)
	require.NotEmpty(t, truths)
	matched, total := map[string]int{}, map[string]int{}
	for _, tf := range truths {
		pcap := strings.TrimSuffix(tf, ".truth.jsonl") + ".pcap"
		tb, err := os.ReadFile(tf)
		require.NoError(t, err)
		truth := readRows(t, tb)

		var stdout, stderr bytes.Buffer
		code := run([]string{"-json", pcap}, nil, &stdout, &stderr)
		require.Equal(t, 0, code, stderr.String())
		var got []row
		for _, r := range readRows(t, stdout.Bytes()) {
			// Pushes are not exchanges in the truth (pub/sub messages).
			if r.Kind != "push" {
				got = append(got, r)
			}
		}

		// The fields each protocol's truth uses.
		reqFields, respFields := map[string]bool{}, map[string]bool{}
		for _, r := range truth {
			for k := range r.Request {
				reqFields[k] = true
			}
			for k := range r.Response {
				respFields[k] = true
			}
		}
		byConn := func(rows []row) map[string][]row {
			m := map[string][]row{}
			for _, r := range rows {
				k := r.Client + " " + r.Server
				m[k] = append(m[k], r)
			}
			return m
		}
		gotConns := byConn(got)
		for _, rows := range gotConns {
			sort.SliceStable(rows, func(i, j int) bool { return rows[i].Seq < rows[j].Seq })
		}
		truthConns := byConn(truth)
		for conn, want := range truthConns {
			have := gotConns[conn]
			for i, w := range want {
				total[w.Protocol]++
				if i >= len(have) {
					t.Errorf("%s %s: exchange %d missing: want %+v", pcap, conn, i+1, w)
					continue
				}
				diff := compare(w, have[i], reqFields, respFields)
				if diff == "" {
					matched[w.Protocol]++
					continue
				}
				key := fmt.Sprintf("%s %s #%d", filepath.Base(pcap), conn, i+1)
				if reason, ok := knownExceptions[key]; ok {
					t.Logf("known exception %s: %s (%s)", key, diff, reason)
					continue
				}
				t.Errorf("%s: %s", key, diff)
			}
			if len(have) > len(want) {
				t.Errorf("%s %s: %d exchanges more than the truth, first: %+v", pcap, conn, len(have)-len(want), have[len(want)])
			}
		}
		for conn, have := range gotConns {
			if _, ok := truthConns[conn]; !ok {
				t.Errorf("%s %s: %d exchanges on a connection the truth does not have", pcap, conn, len(have))
			}
		}
	}
	protos := make([]string, 0, len(total))
	for p := range total {
		protos = append(protos, p)
	}
	sort.Strings(protos)
	for _, p := range protos {
		t.Logf("corpus agreement %s: %d/%d", p, matched[p], total[p])
	}
}

// compare returns "" when got agrees with want on every field, else what differs.
func compare(want, got row, reqFields, respFields map[string]bool) string {
	var diffs []string
	if want.Protocol != got.Protocol {
		diffs = append(diffs, fmt.Sprintf("protocol %q, want %q", got.Protocol, want.Protocol))
	}
	field := func(side string, fields map[string]bool, w, g map[string]any) {
		keys := make([]string, 0, len(fields))
		for k := range fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			wv, wok := w[k]
			gv, gok := g[k]
			switch {
			case wok && !gok:
				diffs = append(diffs, fmt.Sprintf("%s %s missing, want %v", side, k, wv))
			case !wok && gok:
				diffs = append(diffs, fmt.Sprintf("%s %s = %v, want absent", side, k, gv))
			case wok && !reflect.DeepEqual(wv, gv):
				diffs = append(diffs, fmt.Sprintf("%s %s = %#v, want %#v", side, k, gv, wv))
			}
		}
	}
	field("request", reqFields, want.Request, got.Request)
	switch {
	case want.Response == nil && got.Response != nil:
		diffs = append(diffs, fmt.Sprintf("response %v, want none", got.Response))
	case want.Response != nil && got.Response == nil:
		diffs = append(diffs, fmt.Sprintf("no response (%s), want %v", got.Kind, want.Response))
	case want.Response != nil:
		field("response", respFields, want.Response, got.Response)
	}
	return strings.Join(diffs, "; ")
}

func TestCompareCatchesEveryKindOfDifference(t *testing.T) {
	req := map[string]bool{"redis.command": true, "redis.key": true}
	resp := map[string]bool{"redis.type": true}
	want := row{Protocol: "redis", Request: map[string]any{"redis.command": "GET", "redis.key": "k"}, Response: map[string]any{"redis.type": "bulk"}}
	require.Empty(t, compare(want, want, req, resp))
	got := row{Protocol: "redis", Request: map[string]any{"redis.command": "GET"}, Response: map[string]any{"redis.type": "bulk"}}
	require.Contains(t, compare(want, got, req, resp), "redis.key missing")
	got = row{Protocol: "redis", Request: map[string]any{"redis.command": "GET", "redis.key": "x"}, Response: map[string]any{"redis.type": "bulk"}}
	require.Contains(t, compare(want, got, req, resp), `redis.key = "x"`)
	noKey := row{Protocol: "redis", Request: map[string]any{"redis.command": "PING"}, Response: map[string]any{"redis.type": "simple"}}
	got = row{Protocol: "redis", Request: map[string]any{"redis.command": "PING", "redis.key": "x"}, Response: map[string]any{"redis.type": "simple"}}
	require.Contains(t, compare(noKey, got, req, resp), "want absent")
	got = row{Protocol: "redis", Kind: "unanswered", Request: want.Request}
	require.Contains(t, compare(want, got, req, resp), "no response")
	require.Contains(t, compare(row{Protocol: "redis", Request: want.Request}, want, req, resp), "want none")
}

func TestRunSampleAndFlags(t *testing.T) {
	var out, errb bytes.Buffer
	require.Equal(t, 0, run(nil, nil, &out, &errb), errb.String())
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Greater(t, len(lines), 100)
	require.True(t, strings.HasPrefix(lines[0], "TIME "))
	for _, want := range []string{"GET /hello", "HGETALL profile:7", "Produce v8", "UserProvider#SayHello:1.0.0"} {
		require.Contains(t, out.String(), want)
	}
	out.Reset()
	require.Equal(t, 0, run([]string{"-summary"}, nil, &out, &errb))
	require.Contains(t, out.String(), "redis: 36 complete")
	require.Contains(t, out.String(), "streams: 0 undetected")
	out.Reset()
	require.Equal(t, 2, run([]string{"-proto", "6379=nosuch"}, nil, &out, &errb))
	require.Contains(t, errb.String(), "known: "+strings.Join(protocols.Names(), ", "))
	// stdin and -proto override
	f, err := os.Open(pcaptest.Corpus("redis_cli_session.pcap"))
	require.NoError(t, err)
	defer f.Close()
	out.Reset()
	require.Equal(t, 0, run([]string{"-json", "-proto", "16390=redis", "-"}, f, &out, &errb), errb.String())
	require.Len(t, readRows(t, out.Bytes()), 25)
}
