package e2e

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportRules enforces DESIGN.md's import rules with `go list -deps`:
// s3 imports neither libp2p nor anacrolix; swarm and catalog do not import
// each other or s3; cmd/d3sd reaches the rest only through node and its
// component packages (node/...).
func TestImportRules(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go tool not on PATH")
	}
	const mod = "github.com/d3s/d3s/"
	rules := []struct {
		pkg       string
		forbidden []string
	}{
		{"s3/...", []string{"github.com/libp2p/", "github.com/anacrolix/", "github.com/dgraph-io/", mod + "node", mod + "swarm", mod + "catalog", mod + "dht"}},
		{"swarm", []string{mod + "catalog", mod + "s3", mod + "node", mod + "dht"}},
		{"catalog", []string{mod + "swarm", mod + "s3", mod + "node", "github.com/anacrolix/"}},
		{"dht", []string{mod + "swarm", mod + "s3", mod + "node", mod + "catalog", "github.com/anacrolix/"}},
	}
	for _, r := range rules {
		out, err := exec.Command("go", "list", "-deps", "../"+r.pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", r.pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, f := range r.forbidden {
				if strings.HasPrefix(dep, f) && !strings.HasPrefix(dep, mod+r.pkg) {
					t.Errorf("%s imports %s (forbidden: %s)", r.pkg, dep, f)
				}
			}
		}
	}
	out, err := exec.Command("go", "list", "-f", `{{join .Imports "\n"}}`, "../cmd/d3sd").CombinedOutput()
	if err != nil {
		t.Fatalf("go list cmd/d3sd: %v\n%s", err, out)
	}
	for _, imp := range strings.Fields(string(out)) {
		if strings.HasPrefix(imp, mod) && imp != mod+"node" && !strings.HasPrefix(imp, mod+"node/") {
			t.Errorf("cmd/d3sd imports %s directly; it should only import node and node/...", imp)
		}
	}
}
