package node

import "errors"

// Errors of the network membership and of reads that need other members.
// Their text carries no package prefix: d3sd shows it to the user as is.
var (
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
