package kafka

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/wirekit/wirekit/parser"
)

// TestTreeShape checks the request and response trees are the ones the
// package documents: the header root, a branch per decoded API key in
// DecodedAPIs order, each with one child per version up to the table's
// newest, then the undecoded fallback.
func TestTreeShape(t *testing.T) {
	p := Protocol()
	for dir, tree := range map[string]*parser.PkgParser{"request": p.Request, "response": p.Response} {
		assert.Equal(t, "kafka."+dir, tree.Name())
		kids := tree.Children()
		require.Len(t, kids, len(DecodedAPIs())+1, dir)
		for i, key := range DecodedAPIs() {
			name := dir + "." + apis[key].name
			assert.Equal(t, name, kids[i].Name())
			versions := kids[i].Children()
			require.Len(t, versions, int(apis[key].maxVersion)+1, name)
			for v, c := range versions {
				assert.Equal(t, name+".v"+strconv.Itoa(v), c.Name())
			}
		}
		assert.Equal(t, "kafka."+dir+".undecoded", kids[len(kids)-1].Name())
	}
}
