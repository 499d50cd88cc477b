package kafka

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/wirekit/wirekit/parser"
)

// TestTreeShape checks the request and response trees are the ones the
// package documents, derived from the API table: the header root, a
// branch per API key in key order (the branch of key k is child k), each
// with one child per version up to the table's newest and then the
// undecoded node, and the undecoded fallback last.
func TestTreeShape(t *testing.T) {
	p := Protocol()
	for dir, tree := range map[string]*parser.PkgParser{"request": p.Request, "response": p.Response} {
		assert.Equal(t, "kafka."+dir, tree.Name())
		kids := tree.Children()
		require.Len(t, kids, MaxAPIKey+2, dir)
		undec := kids[len(kids)-1]
		assert.Equal(t, "kafka."+dir+".undecoded", undec.Name())
		keys := DecodedAPIs()
		require.Len(t, keys, MaxAPIKey+1, "every key of the table is decoded")
		for _, key := range keys {
			name := dir + "." + apis[key].name
			assert.Equal(t, name, kids[key].Name())
			versions := kids[key].Children()
			require.Len(t, versions, int(apis[key].maxVersion)+2, name)
			for v, c := range versions[:len(versions)-1] {
				assert.Equal(t, name+".v"+strconv.Itoa(v), c.Name())
			}
			assert.Same(t, undec, versions[len(versions)-1], name)
		}
	}
}

// TestTableAgainstKmsg: the table has every key kmsg knows, with its name,
// newest version and flexible versions.
func TestTableAgainstKmsg(t *testing.T) {
	n := 0
	for key := int16(0); key <= MaxAPIKey+10; key++ {
		req := kmsg.RequestForKey(key)
		if req == nil {
			assert.False(t, known(key), "key %d", key)
			continue
		}
		require.True(t, known(key), "key %d", key)
		a := apis[key]
		assert.Equal(t, kmsg.NameForKey(key), a.name)
		assert.Equal(t, req.MaxVersion(), a.maxVersion, a.name)
		for v := int16(0); v <= a.maxVersion; v++ {
			req.SetVersion(v)
			resp := req.ResponseKind()
			resp.SetVersion(v)
			assert.Equal(t, req.IsFlexible(), isFlexible(key, v, parser.Request), "%s v%d", a.name, v)
			assert.Equal(t, resp.IsFlexible(), isFlexible(key, v, parser.Response), "%s v%d", a.name, v)
			n++
		}
	}
	t.Logf("%d keys, %d key/version pairs", len(DecodedAPIs()), n)
}
