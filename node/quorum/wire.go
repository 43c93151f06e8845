package quorum

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/d3s/d3s/dht/record"
	"github.com/d3s/d3s/node/p2p"
)

// Request operations.
const (
	opGet     byte = 1
	opSwap    byte = 2
	opLease   byte = 3
	opRelease byte = 4
)

// Answer statuses.
const (
	stAccepted byte = 0 // SWAP stored (or already held), LEASE granted, RELEASE done
	stNone     byte = 1 // GET: no record
	stRecord   byte = 2 // GET: the record follows
	stKnown    byte = 3 // GET: the record is the caller's known[index]
	stRefused  byte = 4 // SWAP refused: the member's record follows (empty: none)
	stHeld     byte = 5 // LEASE: another holder's lease runs
	stNotReady byte = 6 // LEASE: the member started less than MaxLeaseTTL ago
	stError    byte = 7 // the request was refused: a message follows
)

// Wire bounds; a reader refuses a longer field before allocating it.
const (
	maxKey     = 1024
	maxRecord  = record.MaxBucketRecordSize // user records are smaller still
	maxHashes  = 256                        // known or over hashes in one request
	maxMembers = 512                        // member IDs in one answer
	maxPeerID  = 128
	maxMessage = 1024
	digestSize = 12
)

// errUnknownOp is a request whose operation this node does not know: it
// is answered stError, not reset.
var errUnknownOp = errors.New("quorum: unknown operation")

// noneHash stands for "no record" among the over hashes of a SWAP.
var noneHash [sha256.Size]byte

// request is one Protocol request; digest is set on the wire only.
type request struct {
	op     byte
	digest [digestSize]byte
	key    string
	hashes [][sha256.Size]byte // GET: the known records'; SWAP: over (noneHash: none)
	value  []byte              // SWAP
	nonce  [16]byte            // LEASE, RELEASE
	ttl    time.Duration       // LEASE, whole milliseconds on the wire
}

// response is one member's answer.
type response struct {
	status  byte
	record  []byte // stRecord, stRefused (nil: none)
	index   int    // stKnown
	msg     string // stError
	members []peer.ID
}

func (r *request) encode() []byte {
	b := append([]byte{r.op}, r.digest[:]...)
	b = p2p.AppendField16(b, []byte(r.key))
	switch r.op {
	case opGet:
		b = appendHashes(b, r.hashes)
	case opSwap:
		b = p2p.AppendField32(b, r.value)
		b = appendHashes(b, r.hashes)
	case opLease:
		b = append(b, r.nonce[:]...)
		b = binary.BigEndian.AppendUint32(b, uint32(r.ttl/time.Millisecond))
	case opRelease:
		b = append(b, r.nonce[:]...)
	}
	return b
}

func appendHashes(b []byte, hs [][sha256.Size]byte) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(hs)))
	for _, h := range hs {
		b = append(b, h[:]...)
	}
	return b
}

// readRequest decodes a request; errors wrap p2p.ErrBadMessage, r's
// error, or errUnknownOp (then nothing past the op byte was read).
func readRequest(r *bufio.Reader) (*request, error) {
	op, err := r.ReadByte()
	if err != nil {
		return nil, err
	}
	if op < opGet || op > opRelease {
		return nil, fmt.Errorf("%w %d", errUnknownOp, op)
	}
	req := &request{op: op}
	if _, err := io.ReadFull(r, req.digest[:]); err != nil {
		return nil, err
	}
	key, err := p2p.ReadField16(r, maxKey)
	if err != nil {
		return nil, err
	}
	req.key = string(key)
	switch op {
	case opGet:
		req.hashes, err = readHashes(r)
	case opSwap:
		if req.value, err = p2p.ReadField32(r, maxRecord); err == nil {
			req.hashes, err = readHashes(r)
		}
	case opLease:
		var ms [4]byte
		if _, err = io.ReadFull(r, req.nonce[:]); err == nil {
			_, err = io.ReadFull(r, ms[:])
		}
		req.ttl = time.Duration(binary.BigEndian.Uint32(ms[:])) * time.Millisecond
	case opRelease:
		_, err = io.ReadFull(r, req.nonce[:])
	}
	if err != nil {
		return nil, err
	}
	return req, nil
}

func readHashes(r io.Reader) ([][sha256.Size]byte, error) {
	var l [2]byte
	if _, err := io.ReadFull(r, l[:]); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint16(l[:]))
	if n > maxHashes {
		return nil, fmt.Errorf("%w: %d hashes, at most %d", p2p.ErrBadMessage, n, maxHashes)
	}
	hs := make([][sha256.Size]byte, n)
	for i := range hs {
		if _, err := io.ReadFull(r, hs[i][:]); err != nil {
			return nil, err
		}
	}
	return hs, nil
}

func (a *response) encode() []byte {
	b := []byte{a.status}
	switch a.status {
	case stRecord, stRefused:
		b = p2p.AppendField32(b, a.record)
	case stKnown:
		b = binary.BigEndian.AppendUint16(b, uint16(a.index))
	case stError:
		msg := a.msg
		if len(msg) > maxMessage {
			msg = msg[:maxMessage]
		}
		b = p2p.AppendField16(b, []byte(msg))
	}
	ms := a.members[:min(len(a.members), maxMembers)]
	b = binary.BigEndian.AppendUint16(b, uint16(len(ms)))
	for _, p := range ms {
		b = p2p.AppendField16(b, []byte(p))
	}
	return b
}

// readResponse decodes an answer; member IDs that do not parse are
// dropped.
func readResponse(r *bufio.Reader) (*response, error) {
	st, err := r.ReadByte()
	if err != nil {
		return nil, err
	}
	a := &response{status: st}
	switch st {
	case stAccepted, stNone, stHeld, stNotReady:
	case stRecord, stRefused:
		a.record, err = p2p.ReadField32(r, maxRecord)
		if st == stRefused && len(a.record) == 0 {
			a.record = nil
		}
	case stKnown:
		var l [2]byte
		_, err = io.ReadFull(r, l[:])
		a.index = int(binary.BigEndian.Uint16(l[:]))
	case stError:
		var msg []byte
		msg, err = p2p.ReadField16(r, maxMessage)
		a.msg = string(msg)
	default:
		return nil, fmt.Errorf("%w: status %d", p2p.ErrBadMessage, st)
	}
	if err != nil {
		return nil, err
	}
	a.members, err = readMembers(r)
	return a, err
}

func readMembers(r io.Reader) ([]peer.ID, error) {
	var l [2]byte
	if _, err := io.ReadFull(r, l[:]); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint16(l[:]))
	if n > maxMembers {
		return nil, fmt.Errorf("%w: %d members, at most %d", p2p.ErrBadMessage, n, maxMembers)
	}
	var ms []peer.ID
	for range n {
		b, err := p2p.ReadField16(r, maxPeerID)
		if err != nil {
			return nil, err
		}
		if id, err := peer.IDFromBytes(b); err == nil && id.Validate() == nil {
			ms = append(ms, id)
		}
	}
	return ms, nil
}
