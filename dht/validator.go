package dht

import (
	"github.com/d3s/d3s/dht/record"
	p2precord "github.com/libp2p/go-libp2p-record"
)

// record.Validator and record.UserValidator have the methods of libp2p's
// record.Validator; package record does not import libp2p, so the
// assertions live here.
var (
	_ p2precord.Validator = record.Validator{}
	_ p2precord.Validator = record.UserValidator{}
)

// NewRecordValidator returns the namespaced validator to hand kad-dht: the
// D3S record.Validator under record.RecordNamespace and nothing else, so
// the DHT carries no records but D3S's.
func NewRecordValidator() p2precord.NamespacedValidator {
	return p2precord.NamespacedValidator{record.RecordNamespace: record.Validator{}}
}
