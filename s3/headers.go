package s3

import "net/http"

// putOptions builds the PutOptions of a PUT or UploadPart from the request:
// size (decoded length), Content-MD5 (ErrInvalidDigest if malformed),
// signed SHA-256, metadata (ErrMetadataTooLarge), conditions and checksum.
func (req *request) putOptions() (PutOptions, error) { panic("unimplemented") }

// parseMetadata reads Content-Type, Content-Encoding, Content-Disposition,
// Content-Language, Cache-Control, Expires and x-amz-meta-* from h.
func parseMetadata(h http.Header) (Metadata, error) { panic("unimplemented") }

// parseCopySource splits an x-amz-copy-source value ("/bucket/key" or
// "bucket/key", URL-encoded, optional "?versionId=") into bucket and key.
func parseCopySource(v string) (bucket, key string, err error) { panic("unimplemented") }
