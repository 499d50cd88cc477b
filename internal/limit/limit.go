// Package limit holds the rule the protocol packages' Options share for
// their size and count limits: a limit left at zero, or set negative,
// takes its documented default.
package limit

// Or returns v, or def when v is not positive (an unset limit).
func Or[T ~int | ~int64](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}
