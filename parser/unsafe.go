package parser

import "unsafe"

// UnsafeString returns a string that shares b's memory, without copying.
//
// It is the one place wirekit turns message bytes into strings. The string is
// valid only while b is neither modified nor reused: attributes set from
// message bytes live as long as the message buffer they were parsed from.
// Use Attributes.CopyFrom (or strings.Clone) to keep a value longer.
func UnsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}
