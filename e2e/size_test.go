package e2e

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Size limits of the tree (STYLE.md: a package past ~3 000 lines or a type
// past ~60 methods is two things sharing a room). node keeps only the
// assembly, the lifecycle, the s3.ObjectStore methods and Status.
const (
	maxPackageLines = 3000
	maxNodeLines    = 2000
	maxMethods      = 60
)

// sizeExempt are the packages allowed past maxPackageLines: the S3
// protocol is one room however large its operation table.
var sizeExempt = map[string]bool{"s3": true}

// packageLimits are packages with a limit of their own. catalog holds
// both sync modes since issue 11 (strong.go); moving the snapshot cut
// and the record merging out into catalog/internal packages is owed.
var packageLimits = map[string]int{"node": maxNodeLines, "catalog": 3400}

// TestTreeSizes checks, over the module's non-test Go files, that no
// package passes its line limit and no type has more than maxMethods
// methods.
func TestTreeSizes(t *testing.T) {
	lines := make(map[string]int)   // package dir -> lines
	methods := make(map[string]int) // dir.Type -> methods
	err := filepath.WalkDir("..", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") && path != ".." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		dir, _ := filepath.Rel("..", filepath.Dir(path))
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		lines[dir] += strings.Count(string(src), "\n")
		f, err := parser.ParseFile(token.NewFileSet(), path, src, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			if fd, ok := decl.(*ast.FuncDecl); ok && fd.Recv != nil {
				methods[dir+"."+receiverType(fd.Recv.List[0].Type)]++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for dir, n := range lines {
		limit := maxPackageLines
		if l, ok := packageLimits[dir]; ok {
			limit = l
		}
		if n > limit && !sizeExempt[dir] {
			t.Errorf("package %s has %d non-test lines, more than %d", dir, n, limit)
		}
	}
	for typ, n := range methods {
		if n > maxMethods {
			t.Errorf("type %s has %d methods, more than %d", typ, n, maxMethods)
		}
	}
	t.Logf("node: %d lines, *Node: %d methods", lines["node"], methods["node.Node"])
}

// receiverType names a method's receiver type without pointer or type
// parameters.
func receiverType(e ast.Expr) string {
	for {
		switch x := e.(type) {
		case *ast.StarExpr:
			e = x.X
		case *ast.IndexExpr:
			e = x.X
		case *ast.IndexListExpr:
			e = x.X
		case *ast.Ident:
			return x.Name
		default:
			return "?"
		}
	}
}
