package redistest_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/tollgate/tollgate/risk/redistest"
)

// A TestMain sharing one server across a package's tests skips them all when
// redis-server is missing, unless CI requires it.
func ExampleStartServer() {
	s, err := redistest.StartServer()
	if errors.Is(err, redistest.ErrNoRedisServer) && !redistest.Required() {
		fmt.Println("skipping Redis tests:", err)
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer s.Close()

	fmt.Println(s.Client().Ping(context.Background()).Val())
}
