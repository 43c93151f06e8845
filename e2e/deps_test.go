package e2e

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestImportRules enforces DESIGN.md's import rules with `go list -deps`:
// s3 imports neither libp2p nor anacrolix; swarm and catalog do not import
// each other or s3; catalog reaches the signed records through dht/record,
// never the DHT host or libp2p, even in its tests; dht/record is a leaf
// without libp2p; cmd/d3sd reaches the rest only through node and
// its component packages (node/...).
// importRule forbids package pkg (and, with tests, its tests) to depend
// on the import paths starting with a forbidden prefix, except the
// packages in allowed (exact paths).
type importRule struct {
	pkg                string
	tests              bool
	forbidden, allowed []string
}

// componentRules keep node's components in their rooms: none imports node
// or another component, except the ones every component shares — the
// ledger, placement and the p2p plumbing — and admin, which serves the
// users' types.
func componentRules(mod string) []importRule {
	shared := []string{mod + "node/ledger", mod + "node/placement", mod + "node/p2p"}
	var out []importRule
	for pkg, allowed := range map[string][]string{
		"node/ledger": nil, "node/placement": nil, "node/p2p": nil, "node/users": nil, "node/catalognet": nil,
		"node/replicate": shared, "node/remote": shared, "node/repair": shared, "node/collect": shared,
		"node/quorum": shared, "node/convert": nil,
		"node/admin": {mod + "node/users"},
	} {
		out = append(out, importRule{pkg: pkg, tests: true, forbidden: []string{mod + "node", mod + "cmd"}, allowed: allowed})
	}
	return out
}

func TestImportRules(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go tool not on PATH")
	}
	const mod = "github.com/d3s/d3s/"
	p2p := []string{"github.com/libp2p/", "github.com/ipfs/", "github.com/multiformats/"}
	rules := []importRule{
		{pkg: "s3/...", forbidden: []string{"github.com/libp2p/", "github.com/anacrolix/", "github.com/dgraph-io/", mod + "node", mod + "swarm", mod + "catalog", mod + "dht"}},
		{pkg: "swarm", forbidden: []string{mod + "catalog", mod + "s3", mod + "node", mod + "dht"}},
		{pkg: "catalog/...", tests: true,
			forbidden: append([]string{mod + "swarm", mod + "s3", mod + "node", mod + "dht", "github.com/anacrolix/"}, p2p...),
			allowed:   []string{mod + "dht/record"}},
		{pkg: "dht", forbidden: []string{mod + "swarm", mod + "s3", mod + "node", mod + "catalog", "github.com/anacrolix/"}},
		{pkg: "dht/record", tests: true,
			forbidden: append([]string{mod, "github.com/dgraph-io/", "github.com/anacrolix/"}, p2p...)},
	}
	rules = append(rules, componentRules(mod)...)
	for _, r := range rules {
		args := []string{"list", "-deps"}
		if r.tests {
			args = append(args, "-test")
		}
		out, err := exec.Command("go", append(args, "../"+r.pkg)...).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", r.pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			// With -test, a package built for a test shows as
			// "path [pkg.test]": check the path alone.
			if strings.HasPrefix(dep, "[") || strings.HasPrefix(dep, mod+r.pkg) || slices.Contains(r.allowed, dep) {
				continue
			}
			for _, f := range r.forbidden {
				if strings.HasPrefix(dep, f) {
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
