package main

import (
	"strings"
	"testing"
)

func TestParseWebhooks(t *testing.T) {
	got, err := parseWebhooks(" https://hooks.example.com/a/b , http://127.0.0.1:9000/hook,http://localhost/x,")
	if err != nil || len(got) != 3 || got[0] != "https://hooks.example.com/a/b" {
		t.Fatalf("got %v, %v; want three URLs", got, err)
	}
	for _, bad := range []string{"http://hooks.example.com/a", "ftp://127.0.0.1/", "hooks.example.com", "https:///nohost"} {
		if _, err := parseWebhooks(bad); err == nil {
			t.Errorf("%q: got nil, want an error", bad)
		} else if strings.Contains(err.Error(), "/a") {
			t.Errorf("%q: the error %q repeats the URL's path, which may be secret", bad, err)
		}
	}
}
