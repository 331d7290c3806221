package auth

import (
	"testing"

	"github.com/tollgate/tollgate/risk/redistest"
)

// TestMain shares one redis-server and one Redis Cluster between the
// package's tests that run on real Redis; see redistest.Each.
func TestMain(m *testing.M) { redistest.Main(m) }
