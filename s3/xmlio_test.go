package s3_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

func TestXMLBodyTooLarge(t *testing.T) {
	e := newLsEnv(t)
	e.bucket(t, "big")
	e.put(t, "big", "k", []byte("x"))
	// Whitespace is valid XML, so only the size can be wrong here.
	huge := "<Delete><Object><Key>k</Key></Object>" + strings.Repeat(" ", 9<<20) + "</Delete>"
	status, body := e.do(t, "POST", "/big?delete", []byte(huge), nil)
	lsWantXMLError(t, status, body, 400, "MaxMessageLengthExceeded")
	id := lsStartUpload(t, e, "big", "mp")
	huge = "<CompleteMultipartUpload>" + strings.Repeat(" ", 5<<20) + "</CompleteMultipartUpload>"
	status, body = e.do(t, "POST", "/big/mp?uploadId="+id, []byte(huge), nil)
	lsWantXMLError(t, status, body, 400, "MaxMessageLengthExceeded")
	if left := lsRemaining(t, e, "big"); len(left) != 1 {
		t.Fatalf("keys left: %q", left)
	}
}

func TestXMLBodySHA256Checked(t *testing.T) {
	e := newLsEnv(t)
	e.bucket(t, "sha")
	e.put(t, "sha", "k", []byte("x"))
	signedFor := []byte("<Delete><Object><Key>other</Key></Object></Delete>")
	sent := []byte("<Delete><Object><Key>k</Key></Object></Delete>")
	r, err := http.NewRequestWithContext(t.Context(), "POST", e.url+"/sha?delete", bytes.NewReader(sent))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(signedFor)
	payload := hex.EncodeToString(sum[:])
	r.Header.Set("X-Amz-Content-Sha256", payload)
	creds := aws.Credentials{AccessKeyID: lsAccessKey, SecretAccessKey: lsSecret}
	if err := v4.NewSigner().SignHTTP(t.Context(), creds, r, payload, "s3", lsRegion, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	lsWantXMLError(t, resp.StatusCode, buf.Bytes(), 400, "XAmzContentSHA256Mismatch")
	if left := lsRemaining(t, e, "sha"); len(left) != 1 {
		t.Fatalf("a body that does not match its signed hash deleted keys: left %q", left)
	}
}

func TestXMLResponseHeaders(t *testing.T) {
	e := newLsEnv(t)
	e.bucket(t, "hdr")
	r, err := http.NewRequestWithContext(t.Context(), "GET", e.url+"/hdr?list-type=2", nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	creds := aws.Credentials{AccessKeyID: lsAccessKey, SecretAccessKey: lsSecret}
	if err := v4.NewSigner().SignHTTP(t.Context(), creds, r, "UNSIGNED-PAYLOAD", "s3", lsRegion, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	n, _ := buf.ReadFrom(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/xml" || resp.ContentLength != n ||
		!bytes.HasPrefix(buf.Bytes(), []byte(`<?xml version="1.0" encoding="UTF-8"?>`)) {
		t.Fatalf("status %d, Content-Type %q, Content-Length %d for %d bytes:\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), resp.ContentLength, n, buf.Bytes())
	}
}
