package p2p

import "errors"

// ErrBadMessage is returned by ReadField16 and ReadField32 for a field
// longer than the reader's limit, and wrapped by the node's protocol
// readers for any other malformed or oversized message.
var ErrBadMessage = errors.New("p2p: malformed protocol message")
