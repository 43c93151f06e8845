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
	// ErrUserRemoved: the user was removed already.
	ErrUserRemoved = errors.New("user was removed")
	// ErrNameConflict: the user lost its name to a user created at the same
	// time on another node; its keys are refused (record.NameConflicts).
	ErrNameConflict = errors.New("user lost its name to another user created at the same time")
	// ErrNotSynced: this node is connected to members but has not merged
	// their user records since it (re)joined, and could not within
	// freshWait; S3 clients see 503 SlowDown and retry.
	ErrNotSynced = errors.New("user records not yet merged with the network")
)
