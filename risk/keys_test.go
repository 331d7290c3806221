package risk_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestKeysInOneFile keeps every Redis key of the package in keys.go: no
// other file spells a "tg:" key or builds one with key().
func TestKeysInOneFile(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if name == "keys.go" || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.BasicLit:
				if n.Kind == token.STRING && strings.HasPrefix(strings.Trim(n.Value, "`\""), "tg:") {
					t.Errorf("%s: a Redis key %s outside keys.go", fset.Position(n.Pos()), n.Value)
				}
			case *ast.CallExpr:
				if id, ok := n.Fun.(*ast.Ident); ok && id.Name == "key" {
					t.Errorf("%s: a key built with key() outside keys.go", fset.Position(n.Pos()))
				}
			}
			return true
		})
	}
}
