package mysql

import (
	"strings"

	"github.com/wirekit/wirekit/internal/sqlop"
)

// operations reads statements in this dialect for appendOperations.
var operations = sqlop.Dialect{SkipNoise: skipNoise, NextStatement: nextStatement, BackslashFirst: true}

// appendOperations appends to dst the leading keyword of each statement
// of sql, upper-cased, each once, space-separated, in order, at most
// sqlop.MaxOperations (AttrOperation). Whitespace, comments and opening
// parentheses before a keyword are skipped; MySQL's executable comments
// (/*! ... */, /*M! ... */) are read as SQL. Statements are separated by
// ';' outside literals, quoted identifiers and comments. Whether a
// backslash escapes a quote depends on the session's sql_mode
// (NO_BACKSLASH_ESCAPES), which the traffic does not show: the text is
// split both ways and the keywords of both are listed, so that no
// statement hides behind a quote read the other way.
func appendOperations(dst []byte, sql string) []byte { return operations.Append(dst, sql) }

// skipNoise skips what may come before a statement's keyword: white
// space, comments, parentheses, an executable comment's opening or
// closing mark.
func skipNoise(sql string, i int) int {
	for i < len(sql) {
		c := sql[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || c == '(' || c == ';':
			i++
		case c == '#' || lineComment(sql, i):
			for i < len(sql) && sql[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(sql) && sql[i+1] == '*':
			if j, ok := executableMark(sql, i); ok {
				i = j
				continue
			}
			i = commentEnd(sql, i)
		case c == '*' && i+1 < len(sql) && sql[i+1] == '/':
			i += 2 // the end of an executable comment
		default:
			return i
		}
	}
	return i
}

// lineComment reports whether a "-- " comment starts at sql[i] (MySQL
// wants white space or a control character after the dashes).
func lineComment(sql string, i int) bool {
	return sql[i] == '-' && i+1 < len(sql) && sql[i+1] == '-' && (i+2 == len(sql) || sql[i+2] <= ' ')
}

// executableMark reports whether sql[i:] starts /*! or /*M! (with an
// optional version number) and returns where its SQL begins.
func executableMark(sql string, i int) (int, bool) {
	j := i + 2
	if j < len(sql) && sql[j] == 'M' {
		j++
	}
	if j >= len(sql) || sql[j] != '!' {
		return i, false
	}
	j++
	for j < len(sql) && sql[j] >= '0' && sql[j] <= '9' {
		j++
	}
	return j, true
}

// commentEnd returns the index after the /* ... */ comment at sql[i].
func commentEnd(sql string, i int) int {
	for j := i + 2; j+1 < len(sql); j++ {
		if sql[j] == '*' && sql[j+1] == '/' {
			return j + 2
		}
	}
	return len(sql)
}

// nextStatement returns the index after the next ';' at or after sql[i]
// outside literals, quoted identifiers and comments, or len(sql).
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
		case c == '\'' || c == '"' || c == '`':
			i = sqlop.QuoteEnd(sql, i, backslash && c != '`')
		case c == '#' || lineComment(sql, i):
			for i < len(sql) && sql[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(sql) && sql[i+1] == '*':
			if j, ok := executableMark(sql, i); ok {
				i = j
				continue
			}
			i = commentEnd(sql, i)
		default:
			i++
		}
	}
	return i
}

// splitByte marks the bytes nextStatement must look at: the rest are
// stepped over with one table look-up.
var splitByte = func() (t [256]bool) {
	for _, c := range []byte(";'\"`#-/") {
		t[c] = true
	}
	return t
}()
