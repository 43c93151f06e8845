package s3

import (
	"strings"
	"testing"
)

// FuzzCompleteMultipartXML checks that the CompleteMultipartUpload parser
// never panics and returns only valid part lists or S3 errors.
func FuzzCompleteMultipartXML(f *testing.F) {
	f.Add([]byte(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"abc"</ETag></Part></CompleteMultipartUpload>`))
	f.Add([]byte(`<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><ETag>&quot;e&quot;</ETag><PartNumber>2</PartNumber><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part></CompleteMultipartUpload>`))
	f.Add([]byte(`<CompleteMultipartUpload><Part><PartNumber>-1</PartNumber></Part></CompleteMultipartUpload>`))
	f.Add([]byte(`<CompleteMultipartUpload><Part><PartNumber>99999999999999999999</PartNumber></Part></CompleteMultipartUpload>`))
	f.Add([]byte(`<CompleteMultipartUpload></CompleteMultipartUpload>`))
	f.Add([]byte("<CompleteMultipartUpload>" + strings.Repeat("<Part><PartNumber>1</PartNumber><ETag>x</ETag></Part>", 10001) + "</CompleteMultipartUpload>"))
	f.Add([]byte(`<CompleteMultipartUpload><Part>`))
	f.Add([]byte{0xff, 0xfe, '<'})
	f.Fuzz(func(t *testing.T, body []byte) {
		parts, err := parseCompleteParts(body)
		if err != nil {
			if c := AsCode(err); c != ErrMalformedXML && c != ErrInvalidArgument {
				t.Fatalf("error %v (%s)", err, c)
			}
			return
		}
		if len(parts) < 1 || len(parts) > MaxPartNumber {
			t.Fatalf("accepted %d parts", len(parts))
		}
		for _, p := range parts {
			if p.Number < 1 || p.Number > MaxPartNumber || strings.HasPrefix(p.ETag, `"`) || strings.HasSuffix(p.ETag, `"`) {
				t.Fatalf("accepted part %+v", p)
			}
		}
	})
}
