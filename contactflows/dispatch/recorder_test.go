package dispatch

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// recordedRequest is one request a recorder received.
type recordedRequest struct {
	Method string
	Path   string
	Query  string
	Header http.Header
	Body   []byte
}

// reply is a canned HTTP answer.
type reply struct {
	Status int
	Header map[string]string
	Body   string
}

// recorder is a loopback stand-in for a telephony provider's API: it keeps
// every request and answers each with Reply.
type recorder struct {
	srv *httptest.Server

	mu    sync.Mutex
	reply reply
	reqs  []recordedRequest
}

// newRecorder starts a recorder answering r, closed when t ends.
func newRecorder(t *testing.T, r reply) *recorder {
	t.Helper()
	rec := &recorder{reply: r}
	rec.srv = httptest.NewServer(http.HandlerFunc(rec.serve))
	t.Cleanup(rec.srv.Close)
	return rec
}

// URL is the recorder's base URL, such as http://127.0.0.1:41234.
func (rec *recorder) URL() string { return rec.srv.URL }

func (rec *recorder) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rec.mu.Lock()
	rec.reqs = append(rec.reqs, recordedRequest{
		Method: r.Method,
		Path:   r.URL.Path,
		Query:  r.URL.RawQuery,
		Header: r.Header.Clone(),
		Body:   body,
	})
	rp := rec.reply
	rec.mu.Unlock()

	for k, v := range rp.Header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(rp.Status)
	io.WriteString(w, rp.Body)
}

// requests returns the requests received so far.
func (rec *recorder) requests() []recordedRequest {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]recordedRequest(nil), rec.reqs...)
}

// only returns the single request received, failing t if there was not
// exactly one.
func (rec *recorder) only(t *testing.T) recordedRequest {
	t.Helper()
	reqs := rec.requests()
	if got, want := len(reqs), 1; got != want {
		t.Fatalf("requests received = %d, want %d", got, want)
	}
	return reqs[0]
}

// stallingServer starts a loopback server whose handler reads the request,
// signals on arrived and then holds the request until the client goes away
// or t ends.
func stallingServer(t *testing.T) (url string, arrived <-chan struct{}) {
	t.Helper()
	ch := make(chan struct{}, 1)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Reading the body lets the server notice the client hanging up.
		io.Copy(io.Discard, r.Body)
		select {
		case ch <- struct{}{}:
		default:
		}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs before srv.Close
	return srv.URL, ch
}

// closedServerURL returns the URL of a loopback server that has stopped, so
// connecting to it fails.
func closedServerURL(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	return url
}
