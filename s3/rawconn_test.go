package s3_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// rawConn is a client connection on which a test writes requests byte by
// byte, to control framing, Expect and pacing the way no client library
// lets it.
type rawConn struct {
	conn net.Conn
	br   *bufio.Reader
}

func (e *testEnv) dialRaw(t *testing.T) *rawConn {
	t.Helper()
	conn, err := net.Dial("tcp", e.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	return &rawConn{conn: conn, br: bufio.NewReader(conn)}
}

// signedHead returns the request line and headers of an UNSIGNED-PAYLOAD
// SigV4 request signed with secret, plus the extra header lines, ending
// with the blank line.
func (e *testEnv) signedHead(t *testing.T, method, path, secret string, extra ...string) string {
	t.Helper()
	req, err := http.NewRequest(method, e.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	signRequest(t, req, rawRequest{secret: secret, payload: "UNSIGNED-PAYLOAD"})
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, req.URL.RequestURI(), req.Host)
	for k, v := range req.Header {
		fmt.Fprintf(&b, "%s: %s\r\n", k, v[0])
	}
	for _, line := range extra {
		b.WriteString(line + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

func (c *rawConn) send(t *testing.T, s string) {
	t.Helper()
	if _, err := io.WriteString(c.conn, s); err != nil {
		t.Fatal(err)
	}
}

// read reads one response (an interim 100 Continue included).
func (c *rawConn) read(t *testing.T) rawResponse {
	t.Helper()
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		t.Fatal(err)
	}
	return readResponse(t, resp)
}

// closed reports whether the server closed the connection, waiting up to
// a few seconds for it.
func (c *rawConn) closed() bool {
	c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := c.br.ReadByte()
	return err == io.EOF
}
