package node

import "errors"

// Errors of the user database and the admin API. Their text carries no
// package prefix: the d3sd subcommands show it to the user as is.
var (
	// ErrUserExists: a user with that name already exists.
	ErrUserExists = errors.New("user already exists")
	// ErrNoDaemon: no d3sd is serving the admin socket of the data dir.
	ErrNoDaemon = errors.New("no d3sd running")
	// ErrAdminSocketPath: the admin socket path of the data dir is too long
	// for a unix socket and cannot be shortened on this system.
	ErrAdminSocketPath = errors.New("admin socket path too long")
)
