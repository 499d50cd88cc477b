// Package dump records samples of proxied traffic without ever slowing the
// proxy down: a sampled, load-gated, asynchronous traffic-dump writer.
//
// See Dumper for the model and the README-style overview below.
package dump
