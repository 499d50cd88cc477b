package mysql

import (
	"testing"

	"github.com/wirekit/wirekit/internal/sqltest"
	"github.com/wirekit/wirekit/pcaptest"
)

// FuzzParse parses arbitrary bytes as a request or a response (with and
// without connection state and a request), by the default protocol and
// one redacting literals, seeded with every framed message of the
// MySQL captures: no panic, the offset stays within the message.
func FuzzParse(f *testing.F) {
	sqltest.FuzzParse(f, "mysql_", AttrCommand, "QUERY", Protocol(), NewProtocol(Options{RedactLiterals: true}))
}

// FuzzChunking feeds a conversation (seeded with the first bytes of every
// mysql corpus connection, in the order they travelled) through parser.Conn
// and a parser.Sniffer, whole and cut into 1-, 7- and random-byte pieces:
// the exchanges (kind, sizes, flags, errors, every attribute) and the
// counters must not depend on the cutting (pcaptest.CheckChunking, as for
// every protocol).
func FuzzChunking(f *testing.F) { pcaptest.FuzzChunking(f, Protocol(), "mysql_", 2048) }

// FuzzOperations splits arbitrary text into statements: no panic, at
// most sqlop.MaxOperations distinct upper-case keywords of at most
// sqlop.MaxKeyword letters, and a statement put first is always listed.
func FuzzOperations(f *testing.F) { sqltest.FuzzOperations(f, appendOperations) }
