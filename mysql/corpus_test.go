package mysql

import (
	"testing"

	"github.com/wirekit/wirekit/internal/sqltest"
	"github.com/wirekit/wirekit/parser"
)

// TestCorpus checks every exchange of the MySQL captures against
// their truth (tshark's mysql dissector), field by field, for the
// segments as captured, one byte at a time and random cuts.
//
// The fourth pcaptest feed (each direction whole, requests first) is not
// run: it hands every request before any response, which no capture
// does, so a STMT_EXECUTE would be read before the STMT_PREPARE response
// that gave its statement id, and LOAD DATA LOCAL's file before the
// server asked for it.
func TestCorpus(t *testing.T) {
	sqltest.Corpus(t, "mysql_", Protocol(), true, func(c *parser.Conn) (uint64, uint64) {
		st := c.State().(*State).Stats()
		return st.Unexpected, st.UnknownStatements
	})
}
