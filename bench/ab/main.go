//go:build ignore

// Command ab (run it with run.sh) measures the same parsing work with
// wirekit at an older commit ("b", default a1da630, its module path renamed
// wirekitb) and at this tree ("a") in one process, alternating
// short blocks on one locked thread and timing each with the thread's CPU
// clock, so that frequency and load changes hit both sides alike.
package main

import (
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"

	"golang.org/x/sys/unix"

	akafka "github.com/wirekit/wirekit/kafka"
	aparser "github.com/wirekit/wirekit/parser"
	aredis "github.com/wirekit/wirekit/redis"
	bkafka "github.com/wirekit/wirekitb/kafka"
	bparser "github.com/wirekit/wirekitb/parser"
	bredis "github.com/wirekit/wirekitb/redis"
)

func hexFile(p string) []byte {
	h, err := os.ReadFile(p)
	if err != nil {
		panic(err)
	}
	b, err := hex.DecodeString(strings.TrimSpace(string(h)))
	if err != nil {
		panic(err)
	}
	return b
}

func threadNS() int64 {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts)
	return ts.Nano()
}

// kafkaA/kafkaB return a function doing n iterations of the bench body.
// They (and redisA/redisB) are the same loop once per module version, on
// purpose: the types differ, and one generic loop would call the parser
// through function values, which is not the work the benchmarks measure.
func kafkaA(req, resp []byte) func(int) {
	p := akafka.Protocol()
	st := p.NewState()
	var mq, mr aparser.Message
	return func(n int) {
		for i := 0; i < n; i++ {
			if !p.ParseRequest(&mq, req, st) {
				panic(mq.Err)
			}
			if resp != nil && !p.ParseResponse(&mr, resp, &mq.Attrs, st) {
				panic(mr.Err)
			}
		}
	}
}

func kafkaB(req, resp []byte) func(int) {
	p := bkafka.Protocol()
	st := p.NewState()
	var mq, mr bparser.Message
	return func(n int) {
		for i := 0; i < n; i++ {
			if !p.ParseRequest(&mq, req, st) {
				panic(mq.Err)
			}
			if resp != nil && !p.ParseResponse(&mr, resp, &mq.Attrs, st) {
				panic(mr.Err)
			}
		}
	}
}

func redisA(req, resp []byte) func(int) {
	p := aredis.Protocol()
	st := p.NewState()
	dq, dr := p.Decoder(st, aparser.Request), p.Decoder(st, aparser.Response)
	var mq, mr aparser.Message
	return func(n int) {
		for i := 0; i < n; i++ {
			if _, _, ok, err := dq(&mq, req, false); !ok || err != nil {
				panic(err)
			}
			mr.Request = &mq.Attrs
			if _, _, ok, err := dr(&mr, resp, false); !ok || err != nil {
				panic(err)
			}
		}
	}
}

func redisB(req, resp []byte) func(int) {
	p := bredis.Protocol()
	st := p.NewState()
	dq, dr := p.Decoder(st, bparser.Request), p.Decoder(st, bparser.Response)
	var mq, mr bparser.Message
	return func(n int) {
		for i := 0; i < n; i++ {
			if _, _, ok, err := dq(&mq, req, false); !ok || err != nil {
				panic(err)
			}
			mr.Request = &mq.Attrs
			if _, _, ok, err := dr(&mr, resp, false); !ok || err != nil {
				panic(err)
			}
		}
	}
}

func median(x []float64) float64 {
	s := append([]float64(nil), x...)
	sort.Float64s(s)
	return s[len(s)/2]
}

func main() {
	blocks := flag.Int("blocks", 200, "block pairs per case")
	iters := flag.Int("n", 20000, "iterations per block")
	flag.Parse()
	runtime.LockOSThread()
	kd := os.Getenv("WIREKIT") + "/kafka/testdata/kafka_"
	rd := os.Getenv("WIREKIT") + "/redis/testdata/"
	type tc struct {
		name string
		a, b func(int)
	}
	var cases []tc
	for _, k := range []struct {
		name string
		pair bool
	}{{"produce_v7", false}, {"produce_v7", true}, {"produce_v9", true}, {"fetch_v11", true}, {"fetch_v12", true}} {
		req := hexFile(kd + k.name + "_req.hex")
		var resp []byte
		label := "Kafka " + k.name + " request"
		if k.pair {
			resp = hexFile(kd + k.name + "_resp.hex")
			label = "Kafka " + k.name + " pair"
		}
		cases = append(cases, tc{label, kafkaA(req, resp), kafkaB(req, resp)})
	}
	rq, rs := hexFile(rd+"redis_set_req.hex"), hexFile(rd+"redis_set_resp.hex")
	cases = append(cases, tc{"Redis SET pair", redisA(rq, rs), redisB(rq, rs)})
	fmt.Printf("| case | old ns/op (median block) | this tree ns/op | median of %d per-block-pair ratios (this tree / old) | this tree slower in |\n|---|---:|---:|---:|---:|\n", *blocks)
	for _, c := range cases {
		c.a(*iters)
		c.b(*iters) // warm up
		var ta, tb, r []float64
		slower := 0
		for i := 0; i < *blocks; i++ {
			var da, db int64
			if i%2 == 0 {
				t0 := threadNS()
				c.b(*iters)
				t1 := threadNS()
				c.a(*iters)
				t2 := threadNS()
				db, da = t1-t0, t2-t1
			} else {
				t0 := threadNS()
				c.a(*iters)
				t1 := threadNS()
				c.b(*iters)
				t2 := threadNS()
				da, db = t1-t0, t2-t1
			}
			ta = append(ta, float64(da)/float64(*iters))
			tb = append(tb, float64(db)/float64(*iters))
			r = append(r, float64(da)/float64(db))
			if da > db {
				slower++
			}
		}
		fmt.Printf("| %s | %.1f | %.1f | %.3f | %d/%d |\n", c.name, median(tb), median(ta), median(r), slower, *blocks)
	}
}
