package kafka

import (
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestDocListsHandWrittenDecoders: the package doc's list of APIs with
// hand-written decoders is the table's (generated: false), so the one
// list kept by hand cannot drift from the table it describes.
func TestDocListsHandWrittenDecoders(t *testing.T) {
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	doc := strings.Join(strings.Fields(strings.ReplaceAll(string(src), "//", " ")), " ")
	m := regexp.MustCompile(`The bodies of (.*?) have hand-written decoders`).FindStringSubmatch(doc)
	if m == nil {
		t.Fatal("doc.go: no sentence \"The bodies of ... have hand-written decoders\"")
	}
	var documented []string
	for _, n := range strings.Split(strings.ReplaceAll(m[1], " and ", ", "), ",") {
		if n = strings.TrimSpace(n); n != "" {
			documented = append(documented, strings.ToLower(n))
		}
	}
	var table []string
	for _, key := range DecodedAPIs() {
		if !apis[key].generated {
			table = append(table, strings.ToLower(apis[key].name))
		}
	}
	sort.Strings(documented)
	sort.Strings(table)
	if strings.Join(documented, ",") != strings.Join(table, ",") {
		t.Errorf("doc.go lists hand-written decoders\n  %v\nthe table has\n  %v", documented, table)
	}
	if len(table) == 0 {
		t.Error("no hand-written decoder in the table")
	}
}
