package postgres

import "github.com/wirekit/wirekit/redact"

// Statements are redacted by package redact with Redact: their literals
// replaced by '?' (at redact.Strict, and at redact.Default when a
// statement carries a credential, such as PASSWORD '...').
func init() { redact.RegisterStatement(AttrStatement, Redact) }
