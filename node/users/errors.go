package users

import "errors"

// Errors of the user database. Their text carries no package prefix: the
// d3sd subcommands show it to the user as is.
var (
	// ErrUserExists: a user with that name already exists.
	ErrUserExists = errors.New("user already exists")
	// ErrUnknownUser: no user record for the access key ID, locally or in
	// the network.
	ErrUnknownUser = errors.New("unknown user")
)
