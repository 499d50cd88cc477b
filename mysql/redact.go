package mysql

import "github.com/wirekit/wirekit/internal/sqlop"

// Redact appends sql to dst with its literals replaced by '?': quoted
// strings ('...' and "...", with doubled quotes and backslash escapes),
// hexadecimal and binary literals (X'..', 0x.., B'..') and numbers that
// are not part of an identifier. `Quoted identifiers`, keywords and
// comments are kept. It is what Options.RedactLiterals applies to
// reported statements; its work is one pass over sql.
func Redact(dst []byte, sql string) []byte { return redactor.Append(dst, sql) }

// redactor is Redact's reading of MySQL.
var redactor = sqlop.Redactor{
	Special: sqlop.Bytes("'\"`"),
	Literal: func(sql string, i int) (int, bool) {
		if sql[i] == '`' {
			return i, false
		}
		return sqlop.QuoteEnd(sql, i, true), true
	},
	Keep:   func(sql string, i int) int { return min(sqlop.IdentEnd(sql, i)+1, len(sql)) },            // `quoted identifier`
	Prefix: sqlop.Table(func(c byte) bool { return c|0x20 == 'x' || c|0x20 == 'b' || c|0x20 == 'n' }), // X'..', B'..', N'..'
	Word:   sqlop.Table(identByte),
	Number: sqlop.Table(func(c byte) bool { return identByte(c) || c == '.' }),
}

func identByte(c byte) bool {
	return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// mayHoldPassword reports whether sql has a word that can introduce a
// password literal: IDENTIFIED, or one containing "passw" (PASSWORD,
// MASTER_PASSWORD, a password column), in any case. It is the cheap test
// before maskPasswords, made of byte searches (strings.IndexByte) for
// an anchor byte of each word, rare in SQL: the 'w' of passw, the 'f' of
// identified.
func mayHoldPassword(sql string) bool {
	return sqlop.Anchored(sql, 'w', 4, "passw") || sqlop.Anchored(sql, 'W', 4, "passw") ||
		sqlop.Anchored(sql, 'f', 6, "identified") || sqlop.Anchored(sql, 'F', 6, "identified")
}

// armsMask reports whether word (an identifier or keyword) makes the
// string literals after it in its statement masked.
func armsMask(word string) bool {
	if len(word) == len("identified") && sqlop.HasPrefixFold(word, "identified") {
		return true
	}
	return sqlop.ContainsFold(word, "passw")
}

// masker is maskPasswords' reading of MySQL: '...' and "..." literals
// (backslash escapes), `quoted identifiers`, comments that are not
// executable (/*! and /*M! text is read as SQL).
var masker = sqlop.Masker{Literal: maskLiteral, Comment: maskComment, IdentQuote: '`', Word: identByte, Arms: armsMask}

func maskLiteral(sql string, i int) int {
	if sql[i] == '\'' || sql[i] == '"' {
		return sqlop.QuoteEnd(sql, i, true)
	}
	return i
}

func maskComment(sql string, i int) int {
	c := sql[i]
	switch {
	case c == '/' && i+2 < len(sql) && sql[i+1] == '*' && sql[i+2] != '!' && sql[i+2] != 'M':
		// A comment (not /*! or /*M! executable text, read as SQL).
		j := i + 2
		for j+1 < len(sql) && !(sql[j] == '*' && sql[j+1] == '/') {
			j++
		}
		return min(j+2, len(sql))
	case c == '#' || c == '-' && i+2 < len(sql) && sql[i+1] == '-' && (sql[i+2] == ' ' || sql[i+2] == '\t'):
		return sqlop.LineEnd(sql, i)
	}
	return i
}

// maskPasswords appends sql to dst with every string literal that
// follows, in the same statement, the word IDENTIFIED or a word
// containing PASSW replaced by '***': CREATE/ALTER USER ... IDENTIFIED BY
// '...' (WITH plugin AS '...', MariaDB's VIA plugin USING PASSWORD('...')),
// SET PASSWORD [FOR 'u'@'h'] = '...', PASSWORD('...'), CHANGE MASTER TO
// MASTER_PASSWORD = '...', a comparison with a password column. Literals
// before the word, comments, `quoted identifiers` and numbers are kept; a
// ';' outside literals ends the statement. The parser applies it to every
// statement it reports (mayHoldPassword first), so that no password
// typed into SQL reaches an attribute.
func maskPasswords(dst []byte, sql string) []byte { return masker.Append(dst, sql) }
