package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

const (
	exampleAK     = "AKIAIOSFODNN7EXAMPLE"
	exampleSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

// fakeCreds is an in-memory Credentials from access key to secret.
type fakeCreds map[string]string

// fakeOwner is the owner fakeCreds returns with the secret of a key.
type fakeOwner string

func (f fakeCreds) Secret(_ context.Context, ak string) (string, any, error) {
	s, ok := f[ak]
	if !ok {
		return "", nil, fmt.Errorf("access key %q: %w", ak, ErrInvalidAccessKeyID)
	}
	return s, fakeOwner("owner of " + ak), nil
}

// wantExampleKey fails unless res was signed with the example access key
// and carries the owner that fakeCreds returned for it.
func wantExampleKey(t *testing.T, res *Result) {
	t.Helper()
	if want := fakeOwner("owner of " + exampleAK); res.AccessKeyID != exampleAK || res.Owner != want {
		t.Fatalf("access key %q, owner %#v; want %q, %#v", res.AccessKeyID, res.Owner, exampleAK, want)
	}
}

// exampleTime is the timestamp of AWS's published examples.
var exampleTime = time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)

// newTestVerifier returns a Verifier knowing the example user, frozen at now.
func newTestVerifier(t *testing.T, now time.Time, opts ...func(*Options)) *Verifier {
	t.Helper()
	o := Options{Now: func() time.Time { return now }}
	for _, f := range opts {
		f(&o)
	}
	return New(fakeCreds{exampleAK: exampleSecret}, o)
}

// readAll drains a verified body, returning what it read and the error
// that ended it (nil for a clean io.EOF).
func readAll(t *testing.T, res *Result) ([]byte, error) {
	t.Helper()
	var b strings.Builder
	buf := make([]byte, 7777)
	for i := 0; ; i++ {
		if i > 1<<20 {
			t.Fatal("body never ended")
		}
		n, err := res.Body.Read(buf)
		b.Write(buf[:n])
		if errors.Is(err, io.EOF) && err == io.EOF {
			return []byte(b.String()), nil
		}
		if err != nil {
			return []byte(b.String()), err
		}
	}
}

// wantErr fails unless err wraps want (nil meaning success).
func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("%s: unexpected error %v", what, err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("%s: error %v, want %v", what, err, want)
	}
}

// setHeaders sets each "Name: value" pair on r.
func setHeaders(r *http.Request, kv ...string) {
	for i := 0; i+1 < len(kv); i += 2 {
		r.Header.Set(kv[i], kv[i+1])
	}
}
