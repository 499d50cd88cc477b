package kafka

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestGeneratedUpToDate: zapis.go and zdecode.go are what gen_apis.go
// writes from the kmsg version in go.mod and the package's hand-written
// decoders (STYLE rule 13: generated output is checked in, so it must not
// drift from its generator).
func TestGeneratedUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the generator (go run); skipped with -short")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool in PATH to run the generator")
	}
	dir := t.TempDir()
	cmd := exec.Command(goTool, "run", "gen_apis.go", "-out", dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run gen_apis.go: %v\n%s", err, out)
	}
	for _, name := range []string{"zapis.go", "zdecode.go"} {
		want, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is not what gen_apis.go writes: run go generate ./kafka", name)
		}
	}
}
