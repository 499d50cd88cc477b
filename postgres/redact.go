package postgres

import "github.com/wirekit/wirekit/internal/sqlop"

// Redact appends sql to dst with its literals replaced by '?': quoted
// strings ('...', E'...', with ” and backslash escapes), dollar-quoted
// strings ($$...$$, $tag$...$tag$) and numbers that are not part of an
// identifier or a $n parameter. Identifiers, keywords, comments and
// "quoted identifiers" are kept. It is what Options.RedactLiterals
// applies to reported statements; its work is one pass over sql.
func Redact(dst []byte, sql string) []byte { return redactor.Append(dst, sql) }

// redactor is Redact's reading of PostgreSQL.
var redactor = sqlop.Redactor{
	Special: sqlop.Bytes("'\"-$"),
	Literal: func(sql string, i int) (int, bool) {
		switch sql[i] {
		case '\'':
			return sqlop.QuoteEnd(sql, i, true), true // E'..' too
		case '$':
			if end, ok := dollarQuote(sql, i); ok {
				return end, false
			}
		}
		return i, false
	},
	Keep: func(sql string, i int) int {
		switch c := sql[i]; {
		case c == '"':
			return min(sqlop.IdentEnd(sql, i)+1, len(sql))
		case c == '-' && i+1 < len(sql) && sql[i+1] == '-':
			return sqlop.LineEnd(sql, i)
		case c == '$': // a $n parameter
			j := i + 1
			for j < len(sql) && sql[j] >= '0' && sql[j] <= '9' {
				j++
			}
			return j
		}
		return i
	},
	Prefix: sqlop.Table(func(c byte) bool { return c == 'E' || c == 'e' }),
	Word:   sqlop.Table(identByte),
	Number: sqlop.Table(func(c byte) bool { return c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' }),
}

func identByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// mayHoldPassword reports whether sql has a word that can introduce a
// password literal: one containing "passw" (PASSWORD, ENCRYPTED
// PASSWORD, a password column), in any case. It is the cheap test before
// maskPasswords: byte searches (strings.IndexByte) for the word's 'w',
// rare in SQL.
func mayHoldPassword(sql string) bool {
	return sqlop.Anchored(sql, 'w', 4, "passw") || sqlop.Anchored(sql, 'W', 4, "passw")
}

// armsMask reports whether word (an identifier or keyword) makes the
// string literals after it in its statement masked.
func armsMask(word string) bool { return sqlop.ContainsFold(word, "passw") }

// masker is maskPasswords' reading of PostgreSQL: '...' and E'...'
// literals (backslash escapes), $tag$...$tag$ literals, "quoted
// identifiers", -- and nested /* */ comments.
var masker = sqlop.Masker{Literal: maskLiteral, Comment: noise, IdentQuote: '"', Word: identByte, Arms: armsMask}

func maskLiteral(sql string, i int) int {
	switch sql[i] {
	case '\'':
		return sqlop.QuoteEnd(sql, i, true)
	case '$':
		if end, ok := dollarQuote(sql, i); ok {
			return end
		}
	}
	return i
}

// maskPasswords appends sql to dst with every string literal ('...',
// E'...', $tag$...$tag$) that follows, in the same statement, a word
// containing PASSW replaced by '***': CREATE/ALTER ROLE|USER ... [WITH]
// [ENCRYPTED] PASSWORD '...' (psql's \password sends the SCRAM verifier
// this way), a comparison with a password column, a dblink or
// CREATE USER MAPPING ... OPTIONS (password '...'). Literals before the
// word, comments, "quoted identifiers", $n parameters and numbers are
// kept; a ';' outside literals ends the statement. The parser applies it
// to every statement it reports (mayHoldPassword first), so that no
// password typed into SQL reaches an attribute.
func maskPasswords(dst []byte, sql string) []byte { return masker.Append(dst, sql) }
