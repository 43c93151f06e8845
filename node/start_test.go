package node

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/d3s/d3s/node/admin"
)

func TestStartServesS3AndAdmin(t *testing.T) {
	dir := t.TempDir()
	n := openNode(t, dir)
	first := n.FirstUser()
	if first == nil || first.AccessKeyID == "" || first.SecretAccessKey == "" {
		t.Fatalf("fresh data dir: first user = %+v", first)
	}
	if err := n.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + n.S3Addr() + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "<Code>AccessDenied</Code>") {
		t.Fatalf("anonymous request: %d %s", resp.StatusCode, body)
	}
	users, err := admin.ListUsers(t.Context(), dir)
	if err != nil || len(users) != 1 || users[0].AccessKeyID != first.AccessKeyID {
		t.Fatalf("admin socket: %+v %v", users, err)
	}
	if err := n.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if _, err := http.Get("http://" + n.S3Addr() + "/"); err == nil {
		t.Fatal("S3 still served after Close")
	}
	n = openNode(t, dir)
	if n.FirstUser() != nil {
		t.Fatal("second start created another first user")
	}
}
