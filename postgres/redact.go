package postgres

import "github.com/wirekit/wirekit/internal/sqlop"

// Redact appends sql to dst with its literals replaced by '?': quoted
// strings ('...', E'...', with ” and backslash escapes), dollar-quoted
// strings ($$...$$, $tag$...$tag$) and numbers that are not part of an
// identifier or a $n parameter. Identifiers, keywords, comments and
// "quoted identifiers" are kept. It is what Options.RedactLiterals
// applies to reported statements; its work is one pass over sql.
func Redact(dst []byte, sql string) []byte {
	for i := 0; i < len(sql); {
		c := sql[i]
		switch {
		case c == '\'':
			j := sqlop.QuoteEnd(sql, i, true)
			if len(dst) > 0 && (dst[len(dst)-1] == 'E' || dst[len(dst)-1] == 'e') && (len(dst) == 1 || !identByte(dst[len(dst)-2])) {
				dst = dst[:len(dst)-1]
			}
			dst = append(dst, '?')
			i = j
		case c == '"':
			j := min(sqlop.IdentEnd(sql, i)+1, len(sql))
			dst = append(dst, sql[i:j]...)
			i = j
		case c == '-' && i+1 < len(sql) && sql[i+1] == '-':
			j := sqlop.LineEnd(sql, i)
			dst = append(dst, sql[i:j]...)
			i = j
		case c == '$':
			// $n parameter, or a dollar quote $tag$ ... $tag$.
			if end, ok := dollarQuote(sql, i); ok {
				dst = append(dst, '?')
				i = end
				continue
			}
			j := i + 1
			for j < len(sql) && sql[j] >= '0' && sql[j] <= '9' {
				j++
			}
			dst = append(dst, sql[i:j]...)
			i = j
		case c >= '0' && c <= '9' && (len(dst) == 0 || !identByte(dst[len(dst)-1])):
			j := i
			for j < len(sql) && (sql[j] >= '0' && sql[j] <= '9' || sql[j] == '.' || sql[j] == 'e' || sql[j] == 'E') {
				j++
			}
			dst = append(dst, '?')
			i = j
		default:
			dst = append(dst, c)
			i++
		}
	}
	return dst
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
