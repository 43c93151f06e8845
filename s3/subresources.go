package s3

import (
	"net/http"
	"net/url"
	"strings"
)

// unsupportedSubresources are S3 sub-resources D3S does not implement.
// Any request naming one is answered NotImplemented rather than served as
// a plain bucket or object request, which would be a wrong success.
var unsupportedSubresources = []string{
	"accelerate", "analytics", "attributes", "cors", "encryption",
	"intelligent-tiering", "inventory", "legal-hold", "lifecycle", "logging",
	"metadataConfiguration", "metadataTable", "metrics", "notification",
	"object-lock", "ownershipControls", "policy", "policyStatus",
	"publicAccessBlock", "renameObject", "replication", "requestPayment",
	"restore", "retention", "select", "session", "tagging", "torrent",
	"versions", "website",
}

// readOnlySubresources may be read (GET) but not written: D3S answers
// reads with what is true of every bucket (versioning never enabled, the
// owner has full control).
var readOnlySubresources = []string{"acl", "versioning"}

// checkSubresources returns ErrNotImplemented for a request naming an
// unsupported sub-resource, or writing a read-only one, and
// ErrInvalidArgument for a version ID other than "null".
func checkSubresources(method string, q url.Values) error {
	for _, name := range unsupportedSubresources {
		if q.Has(name) {
			return errorf(ErrNotImplemented, "The %s sub-resource is not implemented.", name)
		}
	}
	for _, name := range readOnlySubresources {
		if q.Has(name) && method != http.MethodGet {
			return errorf(ErrNotImplemented, "Setting the %s sub-resource is not implemented.", name)
		}
	}
	if id, ok := q["versionId"]; ok && (len(id) != 1 || id[0] != "null") {
		return errorf(ErrInvalidArgument, "Invalid version id specified")
	}
	return nil
}

// cannedACLs are the x-amz-acl values that grant nothing beyond the
// owner's own access, which is all D3S has.
var cannedACLs = map[string]bool{"": true, "private": true, "bucket-owner-full-control": true}

// storageClasses are the valid x-amz-storage-class values. D3S keeps every
// object the same way and reports STANDARD.
var storageClasses = map[string]bool{
	"": true, "STANDARD": true, "REDUCED_REDUNDANCY": true, "STANDARD_IA": true,
	"ONEZONE_IA": true, "INTELLIGENT_TIERING": true, "GLACIER": true,
	"DEEP_ARCHIVE": true, "GLACIER_IR": true, "OUTPOSTS": true, "SNOW": true,
	"EXPRESS_ONEZONE": true,
}

// checkWriteHeaders rejects write headers asking for what D3S cannot do:
// server-side encryption, object lock, tagging, website redirects, grants
// and public ACLs (ErrNotImplemented), unknown storage classes
// (ErrInvalidStorageClass).
func checkWriteHeaders(h http.Header) error {
	for name := range h {
		lower := strings.ToLower(name)
		for _, p := range []string{"x-amz-server-side-encryption", "x-amz-object-lock-",
			"x-amz-tagging", "x-amz-website-redirect-location", "x-amz-grant-"} {
			if strings.HasPrefix(lower, p) {
				return errorf(ErrNotImplemented, "The %s header is not implemented.", lower)
			}
		}
	}
	if !cannedACLs[h.Get("X-Amz-Acl")] {
		return errorf(ErrNotImplemented, "Canned ACL %q is not implemented: every object is private.", h.Get("X-Amz-Acl"))
	}
	if !storageClasses[h.Get("X-Amz-Storage-Class")] {
		return ErrInvalidStorageClass
	}
	return nil
}
