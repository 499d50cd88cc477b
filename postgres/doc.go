// Package postgres parses the PostgreSQL frontend/backend protocol,
// version 3: what psql, libpq, pgx and every other client speak to a
// PostgreSQL server (and to the servers that speak its protocol).
//
// Use it to observe database calls: Protocol() plugs into parser.Conn (or
// a parser.Sniffer with protocols.All()), which frames both directions,
// parses them with the package's trees and pairs each request with its
// response in order.
//
// # What an exchange is
//
// A simple Query up to its ReadyForQuery is one exchange (command QUERY).
// An extended query, from its first Parse/Bind/Describe/Execute/Close to
// Sync, and its response up to ReadyForQuery, is one exchange (command
// EXECUTE), however many statements it pipelines (AttrExecutes counts
// them). The connection phase gives STARTUP (user, database,
// application_name), SSL_REQUEST and GSSENC_REQUEST (answered by one
// byte: AttrTLS), AUTH (SASL and password messages: nothing of them is
// reported) and CANCEL (one-way: the server answers by closing). COPY
// FROM STDIN is a QUERY answered by CopyInResponse (AttrCopy "IN") and a
// COPY_DATA request (the CopyData messages up to CopyDone/CopyFail)
// answered by CommandComplete; COPY TO STDOUT is one exchange.
// NotificationResponse, NoticeResponse and ParameterStatus the server
// sends while no response is awaited (LISTEN/NOTIFY) are reported as
// parser.Push exchanges (AttrPush, AttrChannel). Terminate is one-way.
//
// Response attributes: the last CommandComplete's tag, the number of
// DataRows (for QUERY and EXECUTE), the first ErrorResponse's SQLSTATE,
// severity and message, the last Authentication code.
//
// # Operations
//
// AttrOperation names what a statement does, for filters and metrics
// that should not parse SQL: the leading keyword of each statement of
// the text, upper-cased, each once, space-separated in order ("SELECT",
// "SELECT DROP" for a simple Query of two statements), at most 16
// keywords of at most 32 letters. Whitespace, comments (nested too) and
// opening parentheses before a keyword are skipped, and ';' inside
// literals, dollar quotes and quoted identifiers does not split, so a
// deny rule on it (filter/deny, match "word") is not evaded by a leading
// comment or a second statement. Limits: a WITH clause reports WITH
// (also a data-modifying one); function bodies in dollar quotes are not
// looked into; as standard_conforming_strings is not seen, the text is
// split with and without backslash escapes in plain literals and the
// keywords of both readings are listed. It costs one pass over the text
// per reading.
//
// # Prepared statements
//
// Parse remembers a statement's text under its name per connection and
// Close forgets it, so a later Bind reports the statement it executes. A
// connection picked up mid-way (a capture that began late) binds
// statements it never saw prepared: they are reported with their name,
// AttrStatementKnown false and no text, counted in Stats.UnknownStatements,
// never guessed. The cache is bounded by Options.MaxStatements (default
// 256) and MaxStatementBytes (default 1 MiB of text); past either, one
// statement is forgotten (Stats.Evicted).
//
// # Encryption
//
// When the server accepts SSLRequest or GSSENCRequest ('S'/'G') the rest
// of the connection is encrypted: both directions stop with
// parser.ErrUpgraded (the Conn counts the bytes as skipped, not as a
// framing error) and Stats.TLS counts it.
//
// # Limits and hostile input
//
// Every length is checked before anything is buffered: a message or a
// framed run over Options.MaxMessageSize (default 64 MiB) fails framing
// with ErrMessageTooLarge, a startup packet over 10000 bytes likewise,
// and a length under 4 with ErrBadLength; parser.Conn then stops that
// direction and counts its bytes. Framing walks each run once, resuming
// where it stopped when more bytes arrive, so the work per byte is
// bounded whatever the chunking. The per-connection state is a ring of
// 256 awaited responses (more: Stats.Unexpected) and the bounded
// statement cache.
//
// # Redaction
//
// Statement text is reported as sent, except that password literals are
// never reported: a string literal after a word containing PASSW in the
// same statement (CREATE/ALTER ROLE ... PASSWORD '...', which psql's
// \password sends, a password column compared, a user mapping's
// password option) is replaced by '***', whatever the options;
// parameters of extended queries are never read, nor the SASL and
// password messages. Options.RedactLiterals replaces every string and
// numeric literal in reported statements with '?' (see Redact).
//
// # Lifetime
//
// String attributes alias the message bytes (see parser.UnsafeString);
// the texts of prepared statements resolved through the cache are owned
// strings. Limitations: a request ending with Flush instead of Sync is
// framed when its Sync arrives; COPY BOTH (replication) is not followed
// past its CopyBothResponse.
package postgres
