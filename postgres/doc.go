// Package postgres parses the PostgreSQL frontend/backend protocol, version 3.
package postgres
