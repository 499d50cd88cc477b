package bench

import (
	"testing"

	"github.com/wirekit/wirekit/pcaptest"
)

// payload reads the shared bench payload name (../shared/bench-payloads)
// from its copy in package pkg's testdata.
func payload(b *testing.B, pkg, name string) []byte {
	return pcaptest.HexFile(b, "../"+pkg+"/testdata/"+name+".hex")
}
