package node

import "errors"

// Errors of the network membership, remote reads and the admin API.
// Their text carries no package prefix: the d3sd subcommands show it to
// the user as is.
var (
	// ErrNoDaemon: no d3sd is serving the admin socket of the data dir.
	ErrNoDaemon = errors.New("no d3sd running")
	// ErrAdminSocketPath: the admin socket path of the data dir is too long
	// for a unix socket and cannot be shortened on this system.
	ErrAdminSocketPath = errors.New("admin socket path too long")
	// ErrOtherNetwork: a join token names another network than the one
	// the data dir belongs to.
	ErrOtherNetwork = errors.New("join token is for another network")
	// ErrNoMember: joining, no member at the join token's addresses could
	// be reached (a wrong network key looks the same: the handshake fails).
	ErrNoMember = errors.New("no network member reachable")
	// ErrDataElsewhere: the object's bytes are not on this node and no
	// member holding them could be reached; S3 clients see SlowDown.
	ErrDataElsewhere = errors.New("object data is on another node")
)
