// Package sqltest holds the test-side code the mysql and postgres
// packages share: a relay that feeds what it forwards to a parser.Conn
// (the live tests), the pieces of starting a Debian database server for
// a test (root and the server's user, a self-signed certificate, a free
// port, skipping or failing when the server is not installed), tcpdump
// and tshark's PDML for the capture and truth generators, and the checks
// and benchmarks that are the same for both dialects (corpus against
// truth, fuzz properties, allocation budgets, statement keyword and
// password-masking tables, Conn benchmarks).
//
// It is imported only from _test files. It does not import mysql or
// postgres (their in-package tests import it): what differs, each caller
// passes in (its Protocol, its unexported scans as functions, its
// capture prefix). A check reports through the testing.TB it is given;
// a helper that cannot set up what a test needs fails the test with
// t.Fatal, or skips it outside CI (RequireLive).
package sqltest
