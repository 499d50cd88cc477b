package postgres

import (
	"testing"

	"github.com/wirekit/wirekit/internal/sqltest"
	"github.com/wirekit/wirekit/parser"
)

// TestCorpus checks every exchange of the PostgreSQL captures against
// their truth (tshark's pgsql dissector), field by field, for the
// segments as captured, one byte at a time and random cuts.
//
// The fourth pcaptest feed (each direction whole, requests first) is not
// run: it hands every request before any response, which no capture
// does, so the answer to an SSLRequest could not stop the client's TLS
// bytes from being read as PostgreSQL.
func TestCorpus(t *testing.T) {
	sqltest.Corpus(t, "postgres_", Protocol(), false, func(c *parser.Conn) (uint64, uint64) {
		st := c.State().(*State).Stats()
		return st.Unexpected, st.UnknownStatements
	})
}
