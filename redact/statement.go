package redact

// statementMaskers are the literal maskers of SQL attributes, by key,
// registered by the protocol packages (mysql, postgres) at init.
var statementMaskers = map[string]func(dst []byte, sql string) []byte{}

// RegisterStatement makes attribute key a Statement whose literals mask
// replaces (appending the result to dst): each SQL dialect quotes and
// escapes literals its own way, so its package supplies the masker. Call
// it from an init function only: the table is read without a lock.
func RegisterStatement(key string, mask func(dst []byte, sql string) []byte) {
	statementMaskers[key] = mask
	exactKeys |= keyBit(key)
}

// credentialWords mark a statement that carries a credential in a
// literal: CREATE USER ... IDENTIFIED BY '...', ALTER ROLE ... PASSWORD
// '...', SET PASSWORD = ..., CREATE SERVER ... OPTIONS (password '...'),
// a token or secret column written or compared.
var credentialWords = []string{"password", "passwd", "pwd", "identified", "secret", "token", "credential"}

// credentialSQL reports whether sql mentions one of credentialWords,
// ignoring ASCII case.
func credentialSQL(sql string) bool {
	for _, w := range credentialWords {
		if containsFold(sql, w) {
			return true
		}
	}
	return false
}
