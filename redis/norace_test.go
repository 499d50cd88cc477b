//go:build !race

package redis

// raceEnabled is true when the race detector is on (see corpus_test.go).
const raceEnabled = false
