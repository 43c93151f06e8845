package admin

import "errors"

// Errors of the admin API's client and socket. Their text carries no
// package prefix: the d3sd subcommands show it to the user as is.
var (
	// ErrNoDaemon: no d3sd is serving the admin socket of the data dir.
	ErrNoDaemon = errors.New("no d3sd running")
	// ErrSocketPath: the admin socket path of the data dir is too long for
	// a unix socket and cannot be shortened on this system.
	ErrSocketPath = errors.New("admin socket path too long")
)
