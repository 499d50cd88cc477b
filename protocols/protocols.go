// Package protocols is the one list of wirekit's built-in protocols, in
// detection order. filter/builtin, examples/pcapdecode and programs that
// want "everything wirekit parses" share it, so a new protocol is added in
// one place.
//
// The order matters where first bytes are ambiguous: HTTP goes before
// Redis, because an HTTP request line is also a valid Redis inline
// command; the binary protocols' fastFail is exact, so their place among
// themselves does not change what is detected, except that PostgreSQL
// goes before Kafka: a StartupMessage (length, then 0x00030000) also
// reads as the header of a Kafka Metadata v0 request, while the
// PostgreSQL check (protocol code, then a parameter name) is exact.
package protocols

import (
	"github.com/wirekit/wirekit/dubbo2"
	"github.com/wirekit/wirekit/httpx"
	"github.com/wirekit/wirekit/kafka"
	"github.com/wirekit/wirekit/mysql"
	"github.com/wirekit/wirekit/parser"
	"github.com/wirekit/wirekit/postgres"
	"github.com/wirekit/wirekit/redis"
)

// All returns every built-in protocol with default options, in detection
// order. Each call builds new Protocol values; a program builds them once.
func All() []*parser.Protocol {
	return []*parser.Protocol{
		httpx.Protocol(),
		mysql.Protocol(),
		postgres.Protocol(),
		kafka.Protocol(),
		dubbo2.Protocol(),
		redis.Protocol(),
	}
}

// ByName returns the built-in protocol named name ("http", "redis",
// "kafka", "dubbo2", ...), or nil.
func ByName(name string) *parser.Protocol {
	for _, p := range All() {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// Names returns the built-in protocols' names in detection order.
func Names() []string {
	all := All()
	names := make([]string, len(all))
	for i, p := range all {
		names[i] = p.Name
	}
	return names
}
