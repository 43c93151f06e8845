package s3

import (
	"net/netip"
	"strings"
	"unicode/utf8"
)

// CheckBucketName returns ErrInvalidBucketName unless name follows S3's
// rules for new buckets: 3–63 characters of lower-case letters, digits,
// hyphens and dots; starting and ending with a letter or digit; no "..";
// not an IPv4 address; none of the prefixes and suffixes AWS reserves.
func CheckBucketName(name string) error {
	if len(name) < 3 || len(name) > 63 {
		return errorf(ErrInvalidBucketName, "Bucket name must be between 3 and 63 characters long.")
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !isLowerAlnum(c) && c != '-' && c != '.' {
			return errorf(ErrInvalidBucketName, "Bucket name contains invalid characters.")
		}
	}
	if !isLowerAlnum(name[0]) || !isLowerAlnum(name[len(name)-1]) {
		return errorf(ErrInvalidBucketName, "Bucket name must begin and end with a letter or number.")
	}
	if strings.Contains(name, "..") {
		return errorf(ErrInvalidBucketName, "Bucket name must not contain two adjacent periods.")
	}
	if _, err := netip.ParseAddr(name); err == nil {
		return errorf(ErrInvalidBucketName, "Bucket name must not be formatted as an IP address.")
	}
	for _, p := range reservedBucketPrefixes {
		if strings.HasPrefix(name, p) {
			return errorf(ErrInvalidBucketName, "Bucket name must not start with %q.", p)
		}
	}
	for _, sfx := range reservedBucketSuffixes {
		if strings.HasSuffix(name, sfx) {
			return errorf(ErrInvalidBucketName, "Bucket name must not end with %q.", sfx)
		}
	}
	return nil
}

// The name prefixes and suffixes AWS reserves for its own features.
var (
	reservedBucketPrefixes = []string{"xn--", "sthree-", "amzn-s3-demo-"}
	reservedBucketSuffixes = []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"}
)

func isLowerAlnum(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }

// CheckKey returns ErrKeyTooLongError for a key over MaxKeyLength bytes
// and ErrInvalidArgument for one that is not UTF-8 (it could not be
// listed in XML).
func CheckKey(key string) error {
	if len(key) > MaxKeyLength {
		return ErrKeyTooLongError
	}
	if !utf8.ValidString(key) {
		return errorf(ErrInvalidArgument, "Object key is not valid UTF-8.")
	}
	return nil
}
