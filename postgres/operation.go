package postgres

import (
	"strings"

	"github.com/wirekit/wirekit/internal/sqlop"
)

// operations reads statements in this dialect for appendOperations.
var operations = sqlop.Dialect{SkipNoise: skipNoise, NextStatement: nextStatement, BackslashFirst: false}

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

// skipNoise skips what may come before a statement's keyword: white
// space, comments, parentheses, empty statements.
func skipNoise(sql string, i int) int {
	for i < len(sql) {
		c := sql[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || c == '(' || c == ';':
			i++
		case c == '-' && i+1 < len(sql) && sql[i+1] == '-':
			for i < len(sql) && sql[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(sql) && sql[i+1] == '*':
			i = commentEnd(sql, i)
		default:
			return i
		}
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

// nextStatement returns the index after the next ';' at or after sql[i]
// outside literals, quoted identifiers and comments, or len(sql).
// backslash says whether a backslash escapes in plain '...' literals (it
// always does in E'...').
func nextStatement(sql string, i int, backslash bool) int {
	if i >= len(sql) || strings.IndexByte(sql[i:], ';') < 0 {
		return len(sql) // no ';' left: no other statement, whatever quotes follow
	}
	for i < len(sql) {
		c := sql[i]
		if !splitByte[c] {
			i++
			continue
		}
		switch {
		case c == ';':
			return i + 1
		case c == '\'':
			escape := backslash || i > 0 && (sql[i-1] == 'E' || sql[i-1] == 'e') && (i == 1 || !identByte(sql[i-2]))
			i = sqlop.QuoteEnd(sql, i, escape)
		case c == '"':
			i = sqlop.QuoteEnd(sql, i, false)
		case c == '-' && i+1 < len(sql) && sql[i+1] == '-':
			for i < len(sql) && sql[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(sql) && sql[i+1] == '*':
			i = commentEnd(sql, i)
		case c == '$':
			i = dollarEnd(sql, i)
		default:
			i++
		}
	}
	return i
}

// dollarEnd returns the index after the dollar-quoted literal at sql[i]
// ($$...$$, $tag$...$tag$), or after the '$' when it starts none (a $n
// parameter, a '$' inside an identifier).
func dollarEnd(sql string, i int) int {
	if i > 0 && identByte(sql[i-1]) {
		return i + 1
	}
	j := i + 1
	for j < len(sql) && identByte(sql[j]) && !(j == i+1 && sql[j] >= '0' && sql[j] <= '9') {
		j++
	}
	if j >= len(sql) || sql[j] != '$' {
		return i + 1
	}
	tag := sql[i : j+1]
	for k := j + 1; k+len(tag) <= len(sql); k++ {
		if sql[k] == '$' && sql[k:k+len(tag)] == tag {
			return k + len(tag)
		}
	}
	return len(sql)
}

// splitByte marks the bytes nextStatement must look at: the rest are
// stepped over with one table look-up.
var splitByte = func() (t [256]bool) {
	for _, c := range []byte(";'\"-/$") {
		t[c] = true
	}
	return t
}()
