package kafka_test

import (
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/wirekit/wirekit/kafka"
	"github.com/wirekit/wirekit/parser"
)

func readHex(name string) []byte {
	h, _ := os.ReadFile("testdata/" + name + ".hex")
	b, _ := hex.DecodeString(strings.TrimSpace(string(h)))
	return b
}

// Parse a Produce v7 request and its response directly.
func Example() {
	p := kafka.Protocol()
	state := p.NewState()
	var req, resp parser.Message
	p.ParseRequest(&req, readHex("kafka_produce_v7_req"), state)
	p.ParseResponse(&resp, readHex("kafka_produce_v7_resp"), &req.Attrs, state)

	name, _ := req.Attrs.String(kafka.AttrAPIName)
	topic, _ := req.Attrs.String(kafka.AttrTopic)
	acks, _ := req.Attrs.Int(kafka.AttrAcks)
	records, _ := req.Attrs.Int(kafka.AttrRecordCount)
	codec, _ := req.Attrs.String(kafka.AttrCompression)
	errCode, _ := resp.Attrs.Int(kafka.AttrErrorCode)
	fmt.Printf("%s topic=%s acks=%d records=%d compression=%s error=%d\n", name, topic, acks, records, codec, errCode)
	// Output: Produce topic=orders acks=-1 records=1 compression=none error=0
}

// Feed a connection's bytes, cut anywhere, to parser.Conn: it frames with
// kafka's Split and pairs responses by correlation id.
func Example_conn() {
	p := kafka.NewProtocol(kafka.Options{MaxMessageSize: 16 << 20})
	c := parser.NewConn(p, parser.ConnOptions{}, func(e *parser.Exchange) {
		corr, _ := e.Request.Int(kafka.AttrCorrelationID)
		name, _ := e.Request.String(kafka.AttrAPIName)
		topic, _ := e.Request.String(kafka.AttrTopic)
		fmt.Println(e.Kind, name, corr, topic)
	})
	reqs := append(readHex("kafka_fetch_v12_req"), readHex("kafka_produce_v9_req")...)
	c.Feed(parser.Request, reqs[:3], time.Time{}) // size prefix split across segments
	c.Feed(parser.Request, reqs[3:], time.Time{})
	c.Feed(parser.Response, readHex("kafka_fetch_v12_resp"), time.Time{})
	c.Close(time.Time{})
	// Output:
	// complete Fetch 11 orders
	// unanswered Produce 7 orders
}

func ExampleErrorName() {
	fmt.Println(kafka.ErrorName(3), kafka.ErrorName(36))
	// Output: UNKNOWN_TOPIC_OR_PARTITION TOPIC_ALREADY_EXISTS
}

// Share one topic cache between the protocols of every connection to a
// cluster, so that topic ids learnt from one connection's Metadata
// responses resolve on the others.
func ExampleTopicCache() {
	cache := kafka.NewTopicCache(50000)
	p := kafka.NewProtocol(kafka.Options{TopicCache: cache})
	_ = p // build each connection's parser.Conn from p

	// What a Metadata v10+ response teaches it:
	id := [16]byte{0x3f, 0x1c, 0x7a, 0x10, 0x42, 0x8e, 0x4b, 0x33, 0x9d, 0x01, 0x5e, 0x6a, 0x77, 0x20, 0xc4, 0x99}
	cache.Store(id, "payments")
	name, _ := cache.Lookup(id)
	fmt.Println(kafka.FormatTopicID(id), name)
	// Output: Pxx6EEKOSzOdAV5qdyDEmQ payments
}
