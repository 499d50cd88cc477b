package mysql

import (
	"github.com/wirekit/wirekit/internal/sqlop"
)

// operations reads statements in this dialect for appendOperations.
var operations = sqlop.Dialect{Noise: noise, Skip: skip, Special: sqlop.Bytes("'\"`#-/"), BackslashFirst: true}

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

// noise returns the index after the comment or executable comment mark
// (its opening /*! or /*M! with its version, or its closing */) at
// sql[i], or i.
func noise(sql string, i int) int {
	c := sql[i]
	switch {
	case c == '#' || lineComment(sql, i):
		return sqlop.LineEnd(sql, i)
	case c == '/' && i+1 < len(sql) && sql[i+1] == '*':
		if j, ok := executableMark(sql, i); ok {
			return j
		}
		return commentEnd(sql, i)
	case c == '*' && i+1 < len(sql) && sql[i+1] == '/':
		return i + 2 // the end of an executable comment
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

// skip returns the index after the literal, quoted identifier or
// comment at sql[i], or i+1; an executable comment's SQL is read as SQL.
func skip(sql string, i int, backslash bool) int {
	if c := sql[i]; c == '\'' || c == '"' || c == '`' {
		return sqlop.QuoteEnd(sql, i, backslash && c != '`')
	}
	if j := noise(sql, i); j > i {
		return j
	}
	return i + 1
}
