package postgres

import (
	"strings"

	"github.com/wirekit/wirekit/internal/sqlop"
)

// operations reads statements in this dialect for appendOperations.
var operations = sqlop.Dialect{Noise: noise, Skip: skip, Special: sqlop.Bytes("'\"-/$"), BackslashFirst: false}

// appendOperations appends to dst the leading keyword of each statement
// of sql, upper-cased, each once, space-separated, in order, at most
// sqlop.MaxOperations (AttrOperation). Whitespace, comments (-- and nested /*
// */) and opening parentheses before a keyword are skipped. Statements
// are separated by ';' outside literals ('...', E'...', $tag$...$tag$),
// "quoted identifiers" and comments. Whether a backslash escapes a quote
// in a plain '...' literal depends on standard_conforming_strings, which
// the traffic does not show: the text is split both ways and the
// keywords of both are listed, so that no statement hides behind a quote
// read the other way.
func appendOperations(dst []byte, sql string) []byte { return operations.Append(dst, sql) }

// noise returns the index after the comment (-- or nested /* */) at
// sql[i], or i.
func noise(sql string, i int) int {
	switch {
	case sql[i] == '-' && i+1 < len(sql) && sql[i+1] == '-':
		return sqlop.LineEnd(sql, i)
	case sql[i] == '/' && i+1 < len(sql) && sql[i+1] == '*':
		return commentEnd(sql, i)
	}
	return i
}

// commentEnd returns the index after the (nested) /* ... */ comment at
// sql[i].
func commentEnd(sql string, i int) int {
	depth := 0
	for j := i; j+1 < len(sql); {
		switch {
		case sql[j] == '/' && sql[j+1] == '*':
			depth++
			j += 2
		case sql[j] == '*' && sql[j+1] == '/':
			depth--
			j += 2
			if depth == 0 {
				return j
			}
		default:
			j++
		}
	}
	return len(sql)
}

// skip returns the index after the literal, quoted identifier or
// comment at sql[i], or i+1. backslash says whether a backslash escapes
// in plain '...' literals (it always does in E'...').
func skip(sql string, i int, backslash bool) int {
	switch sql[i] {
	case '\'':
		escape := backslash || i > 0 && (sql[i-1] == 'E' || sql[i-1] == 'e') && (i == 1 || !identByte(sql[i-2]))
		return sqlop.QuoteEnd(sql, i, escape)
	case '"':
		return sqlop.QuoteEnd(sql, i, false)
	case '$':
		return dollarEnd(sql, i)
	}
	if j := noise(sql, i); j > i {
		return j
	}
	return i + 1
}

// dollarEnd returns the index after the dollar-quoted literal at sql[i]
// ($$...$$, $tag$...$tag$), or after the '$' when it starts none (a $n
// parameter, a '$' inside an identifier).
func dollarEnd(sql string, i int) int {
	if i > 0 && identByte(sql[i-1]) {
		return i + 1
	}
	if end, ok := dollarQuote(sql, i); ok {
		return end
	}
	return i + 1
}

// dollarQuote reports whether a dollar quote's tag ($$, $tag$; not a $n
// parameter) starts at sql[i] and returns the index after the literal it
// opens (after its closing tag, or len(sql)).
func dollarQuote(sql string, i int) (int, bool) {
	j := i + 1
	for j < len(sql) && identByte(sql[j]) && !(j == i+1 && sql[j] >= '0' && sql[j] <= '9') {
		j++
	}
	if j >= len(sql) || sql[j] != '$' {
		return i, false
	}
	tag := sql[i : j+1]
	if k := strings.Index(sql[j+1:], tag); k >= 0 {
		return j + 1 + k + len(tag), true
	}
	return len(sql), true
}
