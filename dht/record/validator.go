package record

import (
	"bytes"
	"fmt"
	"strings"
	"time"
)

// RecordNamespace is the libp2p record namespace of every D3S key: kad-dht
// splits "/d3s/user/…" at the first slash, so all three D3S key spaces reach
// one validator, which dispatches on the second path element.
const RecordNamespace = "d3s"

// Validator is the record validator of every D3S key: user records under
// UserNamespace, bucket lists under BucketsNamespace and catalogue heads
// under BucketNamespace. Any other key is rejected with ErrBadRecordKey.
// It has the methods of libp2p's record.Validator without importing
// libp2p; package dht hands it to kad-dht.
type Validator struct {
	// Now returns the current time for the future-dated check; nil means
	// time.Now.
	Now func() time.Time
}

// Validate checks value as the record stored under key. Errors wrap
// ErrBadRecordKey, ErrRecordTooLarge, ErrUnknownVersion, ErrWrongRecordType,
// ErrMalformedRecord, ErrAccessKeyMismatch, ErrBucketMismatch,
// ErrFutureRecord or ErrBadSignature.
func (v Validator) Validate(key string, value []byte) error {
	switch {
	case strings.HasPrefix(key, UserNamespace):
		return ValidateUserRecord(key, value)
	case strings.HasPrefix(key, BucketsNamespace):
		_, err := parseBucketList(key, value)
		return err
	case strings.HasPrefix(key, BucketNamespace):
		_, err := v.parseHead(key, value)
		return err
	}
	return fmt.Errorf("record key %q: %w", key, ErrBadRecordKey)
}

// Select returns the index of the best valid record among values: the
// highest sequence number, then a fixed tie-break per record type (see
// doc.go), ending with the greatest encoding, so every node picks the same
// record. Invalid values never win; if none is valid the error wraps
// ErrNoRecords.
func (v Validator) Select(key string, values [][]byte) (int, error) {
	if strings.HasPrefix(key, UserNamespace) {
		return SelectUserRecord(key, values)
	}
	best, bestRank := -1, rank{}
	for i, val := range values {
		r, err := v.rank(key, val)
		if err != nil {
			continue
		}
		if best < 0 || r.beats(bestRank) {
			best, bestRank = i, r
		}
	}
	if best < 0 {
		return 0, fmt.Errorf("select %s among %d: %w", key, len(values), ErrNoRecords)
	}
	return best, nil
}

// rank is what Select orders bucket records by.
type rank struct {
	seq    uint64
	time   HLC    // catalogue heads only
	writer string // catalogue heads only
	enc    []byte
}

// beats reports whether a is strictly better than b; equal ranks keep the
// earlier value, so a record compared with itself is never displaced.
func (a rank) beats(b rank) bool {
	if a.seq != b.seq {
		return a.seq > b.seq
	}
	if c := a.time.Compare(b.time); c != 0 {
		return c > 0
	}
	if a.writer != b.writer {
		return a.writer > b.writer
	}
	return bytes.Compare(a.enc, b.enc) > 0
}

func (v Validator) rank(key string, value []byte) (rank, error) {
	if strings.HasPrefix(key, BucketsNamespace) {
		r, err := parseBucketList(key, value)
		return rank{seq: r.Seq, enc: value}, err
	}
	if strings.HasPrefix(key, BucketNamespace) {
		h, err := v.parseHead(key, value)
		return rank{seq: h.Seq, time: h.Time, writer: h.Writer, enc: value}, err
	}
	return rank{}, fmt.Errorf("record key %q: %w", key, ErrBadRecordKey)
}

// parseBucketList validates a bucket list found under key and returns it.
func parseBucketList(key string, value []byte) (BucketListRecord, error) {
	akid, ok := strings.CutPrefix(key, BucketsNamespace)
	if !ok || !ValidAccessKeyID(akid) {
		return BucketListRecord{}, fmt.Errorf("bucket list key %q: %w", key, ErrBadRecordKey)
	}
	r, err := UnmarshalBucketListRecord(value)
	if err != nil {
		return BucketListRecord{}, err
	}
	if AccessKeyID(r.PublicKey) != akid {
		return BucketListRecord{}, fmt.Errorf("bucket list key %q: %w", key, ErrAccessKeyMismatch)
	}
	return r, r.VerifySignature()
}

// parseHead validates a catalogue head found under key and returns it;
// both head versions (with and without frontier) are accepted.
func (v Validator) parseHead(key string, value []byte) (CatalogHead, error) {
	akid, bucket, ok := splitHeadKey(key)
	if !ok {
		return CatalogHead{}, fmt.Errorf("catalog head key %q: %w", key, ErrBadRecordKey)
	}
	h, err := UnmarshalCatalogHead(value)
	if err != nil {
		return CatalogHead{}, err
	}
	if h.Bucket != bucket {
		return CatalogHead{}, fmt.Errorf("catalog head key %q holds bucket %q: %w", key, h.Bucket, ErrBucketMismatch)
	}
	if AccessKeyID(h.PublicKey) != akid {
		return CatalogHead{}, fmt.Errorf("catalog head key %q: %w", key, ErrAccessKeyMismatch)
	}
	if err := h.VerifySignature(); err != nil {
		return CatalogHead{}, err
	}
	if limit := v.now().Add(MaxClockSkew).UnixNano(); h.Time.Wall > limit {
		return CatalogHead{}, fmt.Errorf("catalog head %q at %v: %w", key, time.Unix(0, h.Time.Wall).UTC(), ErrFutureRecord)
	}
	return h, nil
}

// splitHeadKey splits "/d3s/bucket/<AccessKeyID>/<bucket>".
func splitHeadKey(key string) (akid, bucket string, ok bool) {
	rest, ok := strings.CutPrefix(key, BucketNamespace)
	if !ok {
		return "", "", false
	}
	akid, bucket, ok = strings.Cut(rest, "/")
	return akid, bucket, ok && ValidAccessKeyID(akid) && ValidBucketName(bucket)
}

func (v Validator) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}
