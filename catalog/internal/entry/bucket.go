package entry

import "fmt"

// bucketVersion is the first byte of an encoded bucket record: version 1
// held only the creation time, version 2 adds the deletion time.
const bucketVersion = 2

// BucketRec is a bucket's stored state. A deleted bucket keeps its record
// as a tombstone (Deleted set, later than Created) so that the deletion
// wins over older creations merged from other nodes.
type BucketRec struct {
	Created Time
	Deleted Time
}

// Live reports whether the bucket exists: created after its last deletion.
func (r BucketRec) Live() bool {
	return r.Deleted.IsZero() || r.Created.Compare(r.Deleted) > 0
}

// Latest returns the later of creation and deletion.
func (r BucketRec) Latest() Time {
	if r.Deleted.Compare(r.Created) > 0 {
		return r.Deleted
	}
	return r.Created
}

// Newer reports whether r wins over o when bucket lists merge: the later
// of creation and deletion wins, ties broken by Created then Deleted.
func (r BucketRec) Newer(o BucketRec) bool {
	if c := r.Latest().Compare(o.Latest()); c != 0 {
		return c > 0
	}
	if c := r.Created.Compare(o.Created); c != 0 {
		return c > 0
	}
	return r.Deleted.Compare(o.Deleted) > 0
}

// Marshal encodes r (version 2).
func (r BucketRec) Marshal() []byte {
	enc := Encoder{}
	enc.Byte(bucketVersion)
	enc.Varint(r.Created.Wall)
	enc.Uvarint(uint64(r.Created.Logical))
	enc.Varint(r.Deleted.Wall)
	enc.Uvarint(uint64(r.Deleted.Logical))
	return enc.B
}

// UnmarshalBucketRec decodes a bucket record of version 1 or 2.
// ErrUnknownVersion, ErrCorrupt.
func UnmarshalBucketRec(val []byte) (BucketRec, error) {
	d := Decoder{B: val}
	v := d.Byte()
	if d.Err == nil && v != 1 && v != bucketVersion {
		return BucketRec{}, fmt.Errorf("bucket version %d: %w", v, ErrUnknownVersion)
	}
	var r BucketRec
	r.Created.Wall = d.Varint()
	r.Created.Logical = uint32(d.Uvarint())
	if v == bucketVersion {
		r.Deleted.Wall = d.Varint()
		r.Deleted.Logical = uint32(d.Uvarint())
	}
	return r, d.Finish("bucket")
}
