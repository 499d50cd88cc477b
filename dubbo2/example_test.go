package dubbo2_test

import (
	"fmt"
	"time"

	"github.com/wirekit/wirekit/dubbo2"
	"github.com/wirekit/wirekit/parser"
)

// sayHi is a Dubbo2 call of GreetingsService.sayHi("world") and its answer,
// as dubbo-go-hessian2 encodes them (the shared benchmark payloads).
var (
	sayHiRequest = []byte("\xda\xbb\xc2\x00\x00\x00\x00\x00\x00\x00\x03\xe9\x00\x00\x00\xcd" +
		"\x052.0.2" + "\x30\x2dorg.apache.dubbo.samples.api.GreetingsService" + "\x00" + "\x05sayHi" +
		"\x12Ljava/lang/String;" + "\x05world" +
		"H\x09interface\x30\x2dorg.apache.dubbo.samples.api.GreetingsService" +
		"\x04path\x30\x2dorg.apache.dubbo.samples.api.GreetingsService\x07version\x00Z")
	sayHiResponse = []byte("\xda\xbb\x02\x14\x00\x00\x00\x00\x00\x00\x03\xe9\x00\x00\x00\x1a" +
		"\x94\x09hi, world" + "H\x05dubbo\x052.0.2Z" + "N")
)

// Parse one request with the default tree: header and leading body fields,
// without allocating.
func Example() {
	p := dubbo2.Protocol()
	var m parser.Message
	if !p.ParseRequest(&m, sayHiRequest, nil) {
		fmt.Println("error:", m.Err)
		return
	}
	svc, _ := m.Attrs.String(dubbo2.AttrService)
	method, _ := m.Attrs.String(dubbo2.AttrMethod)
	types, _ := m.Attrs.String(dubbo2.AttrParameterTypes)
	id, _ := m.Attrs.Int(dubbo2.AttrRequestID)
	java, _ := dubbo2.ArgumentTypes(types)
	fmt.Println(id, svc, method, java)
	// Output: 1001 org.apache.dubbo.samples.api.GreetingsService sayHi [java.lang.String]
}

// Pair requests and responses on a connection with parser.Conn, decoding
// attachments and arguments too.
func Example_conn() {
	p := dubbo2.NewProtocol(dubbo2.Options{DecodeAttachments: true, DecodeArguments: true})
	c := parser.NewConn(p, parser.ConnOptions{}, func(e *parser.Exchange) {
		method, _ := e.Request.String(dubbo2.AttrMethod)
		args, _ := e.Request.String(dubbo2.AttrArguments)
		status, _ := e.Response.String(dubbo2.AttrStatusName)
		typ, _ := e.Response.String(dubbo2.AttrResponseType)
		att, _ := e.Response.String(dubbo2.AttrAttachments)
		fmt.Println(e.Kind, method, args, status, typ, att)
	})
	now := time.Now()
	c.Feed(parser.Request, sayHiRequest, now)
	c.Feed(parser.Response, sayHiResponse, now)
	c.Close(now)
	// Output: complete sayHi ["world"] OK value_with_attachments {"dubbo":"2.0.2"}
}

// Sensitive attachments are masked.
func ExampleOptions_sensitiveAttachments() {
	req := []byte("\xda\xbb\xc2\x00\x00\x00\x00\x00\x00\x00\x00\x07\x00\x00\x00\x26" +
		"\x052.0.2\x01S\x00\x01m\x00" + "H\x05token\x06s3cr3t\x05group\x04blueZ")
	p := dubbo2.NewProtocol(dubbo2.Options{DecodeAttachments: true})
	var m parser.Message
	p.ParseRequest(&m, req, nil)
	att, _ := m.Attrs.String(dubbo2.AttrAttachments)
	group, _ := m.Attrs.String(dubbo2.AttrGroup)
	fmt.Println(att, group, m.Flags&parser.Truncated != 0)
	// Output: {"group":"blue","token":"***"} blue false
}
