package node

import (
	"maps"

	"github.com/d3s/d3s/catalog"
	"github.com/d3s/d3s/s3"
)

// toCatalogMeta and toS3Meta convert between the two packages' Metadata,
// which have the same fields (catalog may not import s3); User is copied
// so neither side shares the other's map.
func toCatalogMeta(m s3.Metadata) catalog.Metadata {
	c := catalog.Metadata(m)
	c.User = maps.Clone(m.User)
	return c
}

func toS3Meta(m catalog.Metadata) s3.Metadata {
	c := s3.Metadata(m)
	c.User = maps.Clone(m.User)
	return c
}

// objectInfo describes a catalog entry to the protocol layer.
func objectInfo(e *catalog.Entry) s3.ObjectInfo {
	return s3.ObjectInfo{
		Key:          e.Key,
		VersionID:    e.VersionID,
		Size:         e.Size,
		ETag:         e.ETag,
		LastModified: e.Time.Std(),
		SHA256:       e.SHA256,
		Metadata:     toS3Meta(e.Metadata),
		Checksum:     s3.Checksum(e.Checksum),
		PartsCount:   e.PartsCount,
	}
}

func partInfo(p *catalog.Part) s3.PartInfo {
	return s3.PartInfo{
		Number:       p.Number,
		ETag:         p.ETag,
		Size:         p.Size,
		LastModified: p.Time.Std(),
		Checksum:     s3.Checksum(p.Checksum),
	}
}

// conditions returns the catalog check applying If-Match and If-None-Match
// to the current entry inside the commit transaction, or nil if none.
func conditions(ifMatch, ifNoneMatch string) catalog.Check {
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
