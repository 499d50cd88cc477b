// Package nocopy holds the one marker type wirekit's stateful types embed so
// that go vet's copylocks check reports a copy of them.
//
// A value such as a parser state, an Assembler, a Dumper, a capture Handle or
// a filter Conn keeps buffers, counters and pointers into itself; a copy would
// share some of them and not others. Embedding a NoCopy field (by convention
// the blank field `_ nocopy.NoCopy`) costs no bytes and makes `go vet` report
// every copy made after declaration: assignment, pass by value, range by value,
// return by value.
//
// Limits: the check is static and only vet makes it. The program itself never
// notices a copy, and NoCopy does not lock anything: Lock and Unlock are empty
// and exist only because copylocks looks for a type with both methods on its
// pointer.
package nocopy

// NoCopy is an empty struct whose pointer has Lock and Unlock, which is what
// go vet's copylocks check looks for. Embed it as `_ nocopy.NoCopy`.
type NoCopy struct{}

// Lock does nothing; it is there for go vet.
func (*NoCopy) Lock() {}

// Unlock does nothing; it is there for go vet.
func (*NoCopy) Unlock() {}
