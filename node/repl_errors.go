package node

import "errors"

// Errors of replication and remote reads.
var (
	// ErrNoHolder: no reachable member holds the object's data.
	ErrNoHolder = errors.New("no holder of the object reachable")
	// ErrReplicaFailed: a holder asked to replicate an object answered
	// that it could not.
	ErrReplicaFailed = errors.New("holder could not replicate")
	// ErrTooFewCopies: a write could not make the configured number of
	// durable copies (Config.SyncReplicas) in time.
	ErrTooFewCopies = errors.New("too few durable copies")
	// errBadMessage: a D3S protocol message is malformed or too large.
	errBadMessage = errors.New("malformed protocol message")
	// errRefused: this node refuses replicas (Config.refuseReplicas).
	errRefused = errors.New("replicas refused")
	// errNoMembers: no other member is connected, so the network's
	// catalogue cannot be checked (liveRefs).
	errNoMembers = errors.New("no member connected: the catalogue cannot be checked")
)
