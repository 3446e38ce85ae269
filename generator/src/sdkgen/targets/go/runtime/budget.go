import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
)

// The retry budget, and the re-sends net/http makes by itself.
//
// RUNTIME.md allows a call 1 + max_retries attempts, counted by what the server
// can see. net/http's Transport re-sends a request on its own, once per failed
// connection, when a *reused* keep-alive connection fails before the answer
// and the request is replayable (a GET always is; so is a POST with an
// Idempotency-Key header and GetBody, i.e. every POST of this SDK). The server
// may well have seen the first send (a reset after the handler ran looks the
// same to the client), so without care a call could make 2 x (1 + max_retries)
// sends.
//
// Other ways out were rejected: disabling keep-alive costs every call a
// handshake; making requests non-replayable (no GetBody) cannot stop the
// re-send of a GET and breaks 307/308 redirects of a POST; a Transport of our
// own would ignore the *http.Client the caller gave (WithHTTPClient); counting
// alone cannot stop the re-send of the last attempt allowed.
//
// So each attempt runs through a copy of the caller's *http.Client whose
// RoundTripper wraps the caller's one (sendWatcher) and adds an httptrace
// ClientTrace to the request: every connection the Transport obtains is one
// send. The first connection of a RoundTrip is the attempt itself (charged
// when the attempt starts, with or without a connection); any further one
// within the same RoundTrip is a hidden re-send and is charged to the same
// budget, so the SDK makes that many fewer retries of its own. A redirect is a
// new RoundTrip, not a re-send, so it is not charged. When the budget is
// already spent the re-send is refused before anything is written:
//
//   - a request with a body: the Transport calls GetBody to rewind it before
//     re-sending; our GetBody fails (deterministic, HTTP/1 and HTTP/2);
//   - any request, when the connection is obtained (GotConn, which runs before
//     the request is handed to the connection): we cancel the attempt and, on
//     HTTP/1 (where a connection carries one request at a time), close that
//     connection, so the write fails with nothing sent. An HTTP/2 connection is
//     shared with other requests, so it is not closed: there the cancellation
//     stops a body-less re-send on a best-effort basis, and the HTTP/2
//     Transport only re-sends streams the server refused or never processed
//     (GOAWAY, REFUSED_STREAM, a rejected stream).
//
// The count is conservative: a re-send after a failure the server cannot have
// seen (nothing written, or an idle connection it had closed) is charged too.
// A caller's own ClientTrace in the context still runs (httptrace composes).

// sendBudget counts the sends of one call, attempts and hidden re-sends.
type sendBudget struct {
	mu    sync.Mutex
	limit int // 1 + max_retries
	used  int
	// refused is set when a hidden re-send was refused.
	refused bool
}

// errResendRefused is the cause of the connection error of a call whose last
// attempt lost its connection and whose Transport wanted to send it again.
var errResendRefused = errors.New("the connection failed without an answer and the retry budget is spent (the HTTP transport's automatic re-send was refused)")

// attempt charges the start of an attempt.
func (b *sendBudget) attempt() {
	b.mu.Lock()
	b.used++
	b.mu.Unlock()
}

// resend charges a hidden re-send; false (and the re-send refused) when the
// budget is spent. peek only checks.
func (b *sendBudget) resend(peek bool) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used >= b.limit {
		b.refused = true
		return false
	}
	if !peek {
		b.used++
	}
	return true
}

// retries is how many retries the call used: the (0-based) backoff index of
// the next one.
func (b *sendBudget) retries() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used - 1
}

// left reports whether another attempt fits in the budget.
func (b *sendBudget) left() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used < b.limit
}

func (b *sendBudget) wasRefused() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.refused
}

// sendWatcher is the RoundTripper of one attempt: the caller's, watched.
// stop cancels the attempt (a refused re-send ends it: the budget says
// errResendRefused).
type sendWatcher struct {
	base   http.RoundTripper
	budget *sendBudget
	stop   context.CancelFunc
}

// watchedTrip is what one RoundTrip watches: the connections it obtained, and
// the body rewinds it was asked for.
type watchedTrip struct {
	w     *sendWatcher
	get   func() (io.ReadCloser, error)
	conns atomic.Int32
	trace httptrace.ClientTrace
}

// gotConn charges every connection after the first of a RoundTrip as a
// hidden re-send, and refuses it when the budget is spent.
func (rt *watchedTrip) gotConn(info httptrace.GotConnInfo) {
	if rt.conns.Add(1) == 1 || rt.w.budget.resend(false) {
		return
	}
	rt.w.stop()
	if exclusiveConn(info.Conn) {
		info.Conn.Close()
	}
}

// getBody rewinds the body for a re-send, unless the budget is spent.
func (rt *watchedTrip) getBody() (io.ReadCloser, error) {
	if !rt.w.budget.resend(true) {
		rt.w.stop()
		return nil, errResendRefused
	}
	return rt.get()
}

func (w *sendWatcher) RoundTrip(req *http.Request) (*http.Response, error) {
	rt := &watchedTrip{w: w, get: req.GetBody}
	rt.trace.GotConn = rt.gotConn
	out := req.WithContext(httptrace.WithClientTrace(req.Context(), &rt.trace))
	if rt.get != nil {
		// The Transport calls GetBody only to rewind the body for a re-send
		// (the Client's own calls, for redirects, use the caller's request).
		out.GetBody = rt.getBody
	}
	return w.base.RoundTrip(out)
}

// exclusiveConn reports whether a connection carries only this request (HTTP/1).
func exclusiveConn(conn net.Conn) bool {
	if conn == nil {
		return false
	}
	if tc, ok := conn.(*tls.Conn); ok {
		return tc.ConnectionState().NegotiatedProtocol != "h2"
	}
	return true
}
