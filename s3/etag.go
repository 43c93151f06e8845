package s3

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
)

// MultipartETag returns S3's ETag of an object completed from parts
// whose ETags (hex MD5s, unquoted) are given in order: the hex MD5 of the
// parts' binary MD5s, "-", and the number of parts.
func MultipartETag(parts []string) (string, error) {
	h := md5.New()
	for _, etag := range parts {
		b, err := hex.DecodeString(etag)
		if err != nil || len(b) != md5.Size {
			return "", fmt.Errorf("part ETag %q is not an MD5", etag)
		}
		h.Write(b)
	}
	return fmt.Sprintf("%s-%d", hex.EncodeToString(h.Sum(nil)), len(parts)), nil
}
