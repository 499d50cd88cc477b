package pcaptest

import (
	"path/filepath"
	"runtime"
	"sort"
	"strings"
)

// corpusDir is the module's one folder of real captures, testdata/corpus
// at the module root, found from this file's own location so that tests of
// every package (and the bench module) reach it the same way.
var corpusDir = func() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return filepath.Join("testdata", "corpus")
	}
	return filepath.Join(filepath.Dir(file), "..", "testdata", "corpus")
}()

// Corpus returns the path of file name in the module's capture corpus
// (testdata/corpus: real clients and servers, each capture NAME.pcap with
// its ground truth NAME.truth.jsonl and cross-check NAME.xcheck.txt; see
// its README.md). Tests reach every capture through it, so each is
// committed once.
func Corpus(name string) string { return filepath.Join(corpusDir, name) }

// CorpusCaptures returns the names (without ".pcap") of the corpus
// captures whose name starts with prefix ("" for all, "redis_" for the
// Redis ones), sorted.
func CorpusCaptures(prefix string) []string {
	files, _ := filepath.Glob(filepath.Join(corpusDir, prefix+"*.pcap"))
	names := make([]string, 0, len(files))
	for _, f := range files {
		names = append(names, strings.TrimSuffix(filepath.Base(f), ".pcap"))
	}
	sort.Strings(names)
	return names
}
