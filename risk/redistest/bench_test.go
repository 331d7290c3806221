package redistest_test

import (
	"testing"

	"github.com/tollgate/tollgate/risk/redistest"
)

func BenchmarkStartServer(b *testing.B) {
	for b.Loop() {
		s, err := redistest.StartServer()
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}

func BenchmarkStartCluster3(b *testing.B) {
	for b.Loop() {
		c, err := redistest.StartCluster(3)
		if err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
}
