package main

import (
	"log/slog"

	"github.com/wirekit/wirekit/filter"
)

// newRegistry returns the registry of filter types the proxy's
// configuration can name, and a function that releases what they hold
// (dumpers) at exit.
func newRegistry(log *slog.Logger) (*filter.Registry, func(), error) {
	r := filter.NewRegistry()
	if err := r.Register(filter.ConnLimitName, filter.ConnLimitCreator); err != nil {
		return nil, nil, err
	}
	return r, func() {}, nil
}
