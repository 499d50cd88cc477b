package nocopy_test

import (
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

// TestVetFlagsCopies runs go vet on testdata/copies, which copies by value
// each type that embeds NoCopy, and checks that copylocks reports every one
// of them because of NoCopy, and nothing else.
func TestVetFlagsCopies(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("testdata/copies uses capture.Handle, built on linux only")
	}
	if testing.Short() {
		t.Skip("runs go vet")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go vet needs the go command: %v", err)
	}
	cmd := exec.Command(gobin, "vet", "-copylocks", "./testdata/copies")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("go vet reported nothing:\n%s", out)
	}
	const cause = "contains github.com/wirekit/wirekit/internal/nocopy.NoCopy"
	want := []string{
		"copies.holder",
		"github.com/wirekit/wirekit/redis.State",
		"github.com/wirekit/wirekit/httpx.State",
		"github.com/wirekit/wirekit/reassembly.Assembler",
		"github.com/wirekit/wirekit/dump.Dumper",
		"github.com/wirekit/wirekit/capture.Handle",
		"github.com/wirekit/wirekit/filter.Conn",
	}
	var reports []string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "copies lock value") {
			reports = append(reports, line)
		}
	}
	if len(reports) != len(want) {
		t.Errorf("%d copylocks reports, want %d:\n%s", len(reports), len(want), out)
	}
	for _, typ := range want {
		found := false
		for _, r := range reports {
			if strings.Contains(r, typ+" "+cause) {
				found = true
			}
		}
		if !found {
			t.Errorf("no report of a copied %s %s:\n%s", typ, cause, out)
		}
	}
	if strings.Contains(string(out), "plain") {
		t.Errorf("copy of a type without NoCopy reported:\n%s", out)
	}
}
