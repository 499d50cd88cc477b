// Package mysql parses the MySQL client/server protocol, as MySQL and
// MariaDB servers and their clients (the mysql/mariadb command-line
// clients, libmysqlclient, libmariadb, go-sql-driver/mysql, JDBC ...)
// speak it.
//
// Use it to observe database calls: Protocol() plugs into parser.Conn (or
// a parser.Sniffer with protocols.All()), which frames both directions,
// parses them with the package's trees and pairs each command with its
// response in order.
//
// # What an exchange is
//
// A command packet (sequence id 0; with its continuation packets when it
// is 16 MiB or more) and its whole response are one exchange: every
// packet of a result set (column count, definitions, EOF, rows,
// terminator), every result of a multi-result response
// (SERVER_MORE_RESULTS_EXISTS: multi-statements, CALL), a STMT_PREPARE's
// parameter and column definitions. MariaDB's progress reports (error
// 0xFFFF) inside a response are stepped over. STMT_CLOSE,
// STMT_SEND_LONG_DATA and QUIT are one-way. The server's greeting is a
// parser.Push (server version, connection id, capabilities, auth plugin).
// The connection phase gives HANDSHAKE (user, database, client plugin;
// never the auth data), answered by OK, ERR, AUTH_SWITCH (AttrAuthPlugin)
// or AUTH_MORE_DATA, and AUTH_RESPONSE for the packets after it. LOAD
// DATA LOCAL INFILE is a QUERY answered LOCAL_INFILE and a
// LOCAL_INFILE_DATA request (the file, up to its empty packet) answered
// by OK.
//
// Responses report the first result's kind (AttrResponse: OK, ERR, EOF,
// RESULTSET, ...), the first ERR's code, SQLSTATE and message, an OK's
// affected rows and last insert id, the first result set's column count
// and the rows of all result sets (text and binary protocol, with and
// without CLIENT_DEPRECATE_EOF and MariaDB's cached metadata), and the
// number of results when more than one.
//
// # Operations
//
// AttrOperation names what a statement does, for filters and metrics
// that should not parse SQL: the leading keyword of each statement of
// the text, upper-cased, each once, space-separated in order ("SELECT",
// "SELECT DROP" for a multi-statement text), at most 16 keywords of at
// most 32 letters. Whitespace, comments and opening parentheses before a
// keyword are skipped and executable comments (/*! DROP ... */) read as
// SQL, so a deny rule on it (filter/deny, match "word") is not evaded by
// a leading comment or a second statement. Limits: a WITH clause reports
// WITH; the body of a stored program (BEGIN ... END) is split at its
// ';' too, so its statements after the first are listed although they
// run only at CALL; as the sql_mode (NO_BACKSLASH_ESCAPES) is not seen,
// the text is split with and without backslash escapes and the keywords
// of both readings are listed. It costs one pass over the text per
// reading.
//
// # Prepared statements
//
// A STMT_PREPARE response's statement id is remembered with the
// statement's text per connection, STMT_CLOSE forgets it, and a
// STMT_EXECUTE reports the text of the statement it runs. One
// executing a statement prepared before a capture began is reported
// with its id, AttrStatementKnown false and no text, counted in
// Stats.UnknownStatements, never guessed. The cache is bounded by
// Options.MaxStatements (default 256) and MaxStatementBytes (default 1
// MiB); past either one statement is forgotten (Stats.Evicted).
//
// # Connections picked up mid-way
//
// Without the handshake the capabilities are unknown: an EOF after
// column definitions is told by its size (5 bytes, never an OK's size),
// and the first response that shows whether EOFs are sent settles it for
// the connection. Until then a STMT_PREPARE response can only end when
// the next response's first packet arrives, so an execution read before
// that reports its statement unknown.
//
// # TLS and compression
//
// An SSLRequest (CLIENT_SSL) is a one-way SSL_REQUEST with AttrTLS; the
// rest of the connection is TLS, and both directions stop with
// parser.ErrUpgraded (counted as skipped bytes, not framing errors;
// Stats.TLS). When both sides set CLIENT_COMPRESS the HANDSHAKE has
// AttrCompressed and parsing stops after the login's OK the same way
// (Stats.Compressed): compressed packets are detected and reported, not
// decompressed.
//
// # Limits and hostile input
//
// A framed message over Options.MaxMessageSize (default 64 MiB) fails
// framing with ErrMessageTooLarge as soon as a packet header announces
// it, before anything is buffered; a column count over MaxColumns
// (default 4096) with ErrTooManyColumns; parser.Conn then stops that
// direction and counts its bytes. Framing walks each response's packets
// once, resuming where it stopped when more bytes arrive, so the work
// per byte is bounded whatever the chunking. The per-connection state is
// a ring of 256 awaited responses and the bounded statement cache.
//
// # Redaction
//
// Statement text is reported as sent, except that password literals are
// never reported: a string literal after IDENTIFIED or a word containing
// PASSW in the same statement (IDENTIFIED BY '...', SET PASSWORD = '...',
// PASSWORD('...'), MASTER_PASSWORD = '...', a password column compared)
// is replaced by '***', whatever the options; the parameters of
// STMT_EXECUTE are never read, nor the login's auth data.
// Options.RedactLiterals replaces every literal with '?' (see Redact).
//
// # Lifetime
//
// String attributes alias the message bytes (see parser.UnsafeString);
// prepared statements' texts resolved through the cache are owned
// strings.
package mysql
