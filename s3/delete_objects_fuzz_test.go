package s3

import (
	"strings"
	"testing"
)

// FuzzDeleteObjectsXML checks that the DeleteObjects parser never panics,
// and that what it accepts is within S3's limits.
func FuzzDeleteObjectsXML(f *testing.F) {
	f.Add([]byte(`<Delete><Object><Key>a</Key></Object></Delete>`))
	f.Add([]byte(`<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet><Object><Key>a&amp;b</Key><VersionId>null</VersionId></Object></Delete>`))
	f.Add([]byte(`<Delete><Object><Key></Key></Object><Object><Key>&#x1;</Key></Object></Delete>`))
	f.Add([]byte(`<Delete><Object><Key>a</Key>`))
	f.Add([]byte(`<!DOCTYPE x [<!ENTITY a "aaaa">]><Delete><Object><Key>&a;</Key></Object></Delete>`))
	f.Add([]byte("<Delete>" + strings.Repeat("<Object><Key>k</Key></Object>", 1001) + "</Delete>"))
	f.Add([]byte(strings.Repeat("<a>", 20000)))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, body []byte) {
		doc, err := parseDeleteRequest(body)
		if err != nil {
			if err != ErrMalformedXML {
				t.Fatalf("error %v, want MalformedXML", err)
			}
			return
		}
		if n := len(doc.Objects); n < 1 || n > MaxDeleteObjects {
			t.Fatalf("accepted %d objects", n)
		}
		for _, o := range doc.Objects {
			if o.Key == nil {
				t.Fatal("accepted an object without a key")
			}
		}
	})
}
