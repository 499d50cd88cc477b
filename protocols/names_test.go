package protocols_test

import (
	"testing"

	"github.com/wirekit/wirekit/dubbo2"
	"github.com/wirekit/wirekit/httpx"
	"github.com/wirekit/wirekit/kafka"
	"github.com/wirekit/wirekit/mysql"
	"github.com/wirekit/wirekit/postgres"
	"github.com/wirekit/wirekit/protocols"
	"github.com/wirekit/wirekit/redis"
)

// TestEveryPackageExportsName is issue 19.6: every protocol package
// exports its Name, equal to the name its Protocol carries, and
// protocols.All has each built-in protocol exactly once under it (a
// protocol added to All without an exported Name fails here).
func TestEveryPackageExportsName(t *testing.T) {
	names := map[string]string{
		httpx.Name:    httpx.Protocol().Name,
		redis.Name:    redis.Protocol().Name,
		kafka.Name:    kafka.Protocol().Name,
		dubbo2.Name:   dubbo2.Protocol().Name,
		mysql.Name:    mysql.Protocol().Name,
		postgres.Name: postgres.Protocol().Name,
	}
	for pkg, proto := range names {
		if pkg != proto {
			t.Errorf("package Name %q, Protocol().Name %q", pkg, proto)
		}
	}
	all := protocols.Names()
	if len(all) != len(names) {
		t.Errorf("protocols.All has %d protocols %v, the packages name %d", len(all), all, len(names))
	}
	seen := map[string]bool{}
	for _, n := range all {
		if _, ok := names[n]; !ok {
			t.Errorf("protocols.All has %q, which no package's Name is", n)
		}
		if seen[n] {
			t.Errorf("protocols.All has %q twice", n)
		}
		seen[n] = true
	}
}
