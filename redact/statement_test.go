package redact_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/wirekit/wirekit/mysql"
	"github.com/wirekit/wirekit/postgres"
	"github.com/wirekit/wirekit/redact"
)

// SQL statements: literals are masked by the dialect's masker at Strict,
// and at Default only in statements that carry a credential.
func TestStatements(t *testing.T) {
	def, strict := redact.New(redact.Default), redact.New(redact.Strict)
	for _, c := range []struct {
		key, sql, def, strict string
	}{
		{mysql.AttrStatement, "SELECT name FROM users WHERE id = 42 AND email = 'ann@example.com'",
			"SELECT name FROM users WHERE id = 42 AND email = 'ann@example.com'",
			"SELECT name FROM users WHERE id = ? AND email = ?"},
		{mysql.AttrStatement, "CREATE USER 'app'@'%' IDENTIFIED BY 's3cr3t!'",
			"CREATE USER ?@? IDENTIFIED BY ?", "CREATE USER ?@? IDENTIFIED BY ?"},
		{mysql.AttrStatement, `SET PASSWORD FOR 'app'@'%' = "hunter2"`,
			"SET PASSWORD FOR ?@? = ?", "SET PASSWORD FOR ?@? = ?"},
		{postgres.AttrStatement, "ALTER ROLE app WITH LOGIN PASSWORD 'md5abc'",
			"ALTER ROLE app WITH LOGIN PASSWORD ?", "ALTER ROLE app WITH LOGIN PASSWORD ?"},
		{postgres.AttrStatement, "INSERT INTO api_keys (owner, token) VALUES ($1, $tok$x-42$tok$)",
			"INSERT INTO api_keys (owner, token) VALUES ($1, ?)", "INSERT INTO api_keys (owner, token) VALUES ($1, ?)"},
		{postgres.AttrStatement, "SELECT * FROM orders WHERE total > 100.5",
			"SELECT * FROM orders WHERE total > 100.5", "SELECT * FROM orders WHERE total > ?"},
	} {
		assert.Equal(t, c.def, string(def.AppendString(nil, c.key, c.sql)), "default: %s", c.sql)
		assert.Equal(t, c.strict, string(strict.AppendString(nil, c.key, c.sql)), "strict: %s", c.sql)
		assert.Equal(t, c.sql, string(redact.New(redact.Off).AppendString(nil, c.key, c.sql)))
		cl, _ := def.ClassOf(c.key)
		assert.Equal(t, redact.Statement, cl)
	}
}

// SQL error messages echo values in quotes: masked at Strict, kept at
// Default.
func TestSQLErrorMessages(t *testing.T) {
	def, strict := redact.New(redact.Default), redact.New(redact.Strict)
	for key, msg := range map[string]string{
		mysql.AttrErrorMessage:    "Duplicate entry 'ann@example.com' for key 'users.email'",
		postgres.AttrErrorMessage: `invalid input syntax for type integer: "4111-1111"`,
	} {
		assert.Equal(t, msg, string(def.AppendString(nil, key, msg)))
		got := string(strict.AppendString(nil, key, msg))
		assert.NotContains(t, got, "ann@example.com")
		assert.NotContains(t, got, "4111-1111")
		assert.Contains(t, got, redact.Mask)
	}
}
