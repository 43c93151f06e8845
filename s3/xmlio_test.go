package s3_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

func TestXMLBodyTooLarge(t *testing.T) {
	e := newTestEnv(t)
	e.seedBucket(t, "big")
	e.seedObject(t, "big", "k", []byte("x"))
	// Whitespace is valid XML, so only the size can be wrong here.
	huge := "<Delete><Object><Key>k</Key></Object>" + strings.Repeat(" ", 9<<20) + "</Delete>"
	status, body := e.call(t, "POST", "/big?delete", []byte(huge), nil)
	wantXMLError(t, status, body, 400, "MaxMessageLengthExceeded")
	id := lsStartUpload(t, e, "big", "mp")
	huge = "<CompleteMultipartUpload>" + strings.Repeat(" ", 5<<20) + "</CompleteMultipartUpload>"
	status, body = e.call(t, "POST", "/big/mp?uploadId="+id, []byte(huge), nil)
	wantXMLError(t, status, body, 400, "MaxMessageLengthExceeded")
	if left := lsRemaining(t, e, "big"); len(left) != 1 {
		t.Fatalf("keys left: %q", left)
	}
}

func TestXMLBodySHA256Checked(t *testing.T) {
	e := newTestEnv(t)
	e.seedBucket(t, "sha")
	e.seedObject(t, "sha", "k", []byte("x"))
	signedFor := sha256.Sum256([]byte("<Delete><Object><Key>other</Key></Object></Delete>"))
	sent := []byte("<Delete><Object><Key>k</Key></Object></Delete>")
	resp := e.do(t, rawRequest{method: "POST", path: "/sha?delete", body: sent, payload: hex.EncodeToString(signedFor[:])})
	wantXMLError(t, resp.status, resp.body, 400, "XAmzContentSHA256Mismatch")
	if left := lsRemaining(t, e, "sha"); len(left) != 1 {
		t.Fatalf("a body that does not match its signed hash deleted keys: left %q", left)
	}
}

func TestXMLResponseHeaders(t *testing.T) {
	e := newTestEnv(t)
	e.seedBucket(t, "hdr")
	resp := e.do(t, rawRequest{method: "GET", path: "/hdr?list-type=2", payload: "UNSIGNED-PAYLOAD"})
	n := int64(len(resp.body))
	if resp.status != 200 || resp.header.Get("Content-Type") != "application/xml" || resp.length != n ||
		!bytes.HasPrefix(resp.body, []byte(`<?xml version="1.0" encoding="UTF-8"?>`)) {
		t.Fatalf("status %d, Content-Type %q, Content-Length %d for %d bytes:\n%s", resp.status, resp.header.Get("Content-Type"), resp.length, n, resp.body)
	}
}
