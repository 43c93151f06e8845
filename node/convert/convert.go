// Package convert translates between the s3 package's types and the
// catalog's, which may not import each other.
package convert

import (
	"fmt"
	"maps"

	"github.com/d3s/d3s/catalog"
	"github.com/d3s/d3s/s3"
)

// ToCatalogMeta and ToS3Meta convert between the two packages' Metadata,
// which have the same fields (catalog may not import s3); User is copied
// so neither side shares the other's map.
func ToCatalogMeta(m s3.Metadata) catalog.Metadata {
	c := catalog.Metadata(m)
	c.User = maps.Clone(m.User)
	return c
}

func ToS3Meta(m catalog.Metadata) s3.Metadata {
	c := s3.Metadata(m)
	c.User = maps.Clone(m.User)
	return c
}

// ObjectInfo describes a catalog entry to the protocol layer.
func ObjectInfo(e *catalog.Entry) s3.ObjectInfo {
	return s3.ObjectInfo{
		Key:          e.Key,
		VersionID:    e.VersionID,
		Size:         e.Size,
		ETag:         e.ETag,
		LastModified: e.Time.Std(),
		SHA256:       e.SHA256,
		Metadata:     ToS3Meta(e.Metadata),
		Checksum:     s3.Checksum(e.Checksum),
		PartsCount:   e.PartsCount,
	}
}

func PartInfo(p *catalog.Part) s3.PartInfo {
	return s3.PartInfo{
		Number:       p.Number,
		ETag:         p.ETag,
		Size:         p.Size,
		LastModified: p.Time.Std(),
		Checksum:     s3.Checksum(p.Checksum),
	}
}

// Conditions returns the catalog check applying If-Match and If-None-Match
// to the current entry inside the commit transaction, or nil if none.
func Conditions(ifMatch, ifNoneMatch string) catalog.Check {
	if ifMatch == "" && ifNoneMatch == "" {
		return nil
	}
	return func(cur *catalog.Entry) error {
		if ifMatch != "" {
			if cur == nil {
				return s3.ErrNoSuchKey
			}
			if ifMatch != "*" && unquote(ifMatch) != cur.ETag {
				return s3.ErrPreconditionFailed
			}
		}
		if ifNoneMatch != "" && cur != nil {
			if ifNoneMatch == "*" || unquote(ifNoneMatch) == cur.ETag {
				return s3.ErrPreconditionFailed
			}
		}
		return nil
	}
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}

// ChooseParts validates the client's part list against the stored parts
// (sorted by number): ErrInvalidPartOrder, ErrInvalidPart,
// ErrEntityTooSmall.
func ChooseParts(stored []catalog.Part, parts []s3.CompletedPart) ([]*catalog.Part, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("no parts: %w", s3.ErrMalformedXML)
	}
	byNumber := make(map[int]*catalog.Part, len(stored))
	for i := range stored {
		byNumber[stored[i].Number] = &stored[i]
	}
	out := make([]*catalog.Part, len(parts))
	for i, cp := range parts {
		if i > 0 && cp.Number <= parts[i-1].Number {
			return nil, s3.ErrInvalidPartOrder
		}
		p, ok := byNumber[cp.Number]
		if !ok || unquote(cp.ETag) != p.ETag {
			return nil, fmt.Errorf("part %d: %w", cp.Number, s3.ErrInvalidPart)
		}
		out[i] = p
	}
	for _, p := range out[:len(out)-1] {
		if p.Size < s3.MinPartSize {
			return nil, fmt.Errorf("part %d is %d bytes: %w", p.Number, p.Size, s3.ErrEntityTooSmall)
		}
	}
	return out, nil
}
