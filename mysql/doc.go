// Package mysql parses the MySQL/MariaDB client/server protocol.
package mysql
