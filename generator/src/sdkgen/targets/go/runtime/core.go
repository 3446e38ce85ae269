package promptrails

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	mathrand "math/rand"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Defaults of the runtime policy.
const (
	DefaultMaxRetries     = 2
	DefaultTimeout        = 60 * time.Second
	DefaultConnectTimeout = 5 * time.Second
	maxErrorBody          = 1 << 20
)

// Option configures a Client.
type Option func(*config)

// RequestOption configures one call.
type RequestOption func(*requestConfig)

// WithBaseURL sets the API's base URL (default: the {PREFIX}_BASE_URL
// environment variable, else the spec's default).
func WithBaseURL(baseURL string) Option {
	return func(c *config) { c.baseURL = baseURL }
}

// WithHTTPClient sets the *http.Client every request goes through.
func WithHTTPClient(client *http.Client) Option {
	return func(c *config) { c.httpClient = client }
}

// WithMaxRetries sets how many times a failed request is retried (default 2).
func WithMaxRetries(n int) Option {
	return func(c *config) { c.maxRetries = n }
}

// WithTimeout sets the read timeout of one attempt of a request, and the
// longest silence allowed between two chunks of a stream (default 60s).
func WithTimeout(d time.Duration) Option {
	return func(c *config) { c.timeout = d }
}

// WithHeader adds a header sent with every request.
func WithHeader(key, value string) Option {
	return func(c *config) { c.headers.Set(key, value) }
}

// WithStrictValidation makes every response and every event checked against
// the API contract (required fields, JSON types, no null where the contract
// allows none, enum values known): a mismatch is an
// *APIResponseValidationError (in a stream, a *StreamError caused by one).
// By default responses are read tolerantly (see JSONField): what the server
// sent more, less or otherwise than the contract says never fails a call
// whose response is usable.
func WithStrictValidation() Option {
	return func(c *config) { c.strict = true }
}

// WithIdempotencyKey sets the Idempotency-Key of a call (default: a random
// UUID per call), sent unchanged on every retry of the call.
func WithIdempotencyKey(key string) RequestOption {
	return func(r *requestConfig) { r.idempotencyKey = key }
}

// WithRequestMaxRetries overrides the client's retry count for one call.
func WithRequestMaxRetries(n int) RequestOption {
	return func(r *requestConfig) { r.maxRetries = &n }
}

// WithRequestTimeout overrides the client's timeout for one call.
func WithRequestTimeout(d time.Duration) RequestOption {
	return func(r *requestConfig) { r.timeout = &d }
}

// WithRequestHeader adds a header to one call.
func WithRequestHeader(key, value string) RequestOption {
	return func(r *requestConfig) { r.headers = append(r.headers, [2]string{key, value}) }
}

// secret holds the API key; every way of printing it prints a placeholder.
type secret string

func (s secret) String() string   { return "[REDACTED]" }
func (s secret) GoString() string { return `"[REDACTED]"` }

// Format prints the placeholder for every verb.
func (s secret) Format(f fmt.State, verb rune) { io.WriteString(f, "[REDACTED]") }

// settings are what the generated client knows about the API.
type settings struct {
	envPrefix      string
	defaultBaseURL string
	authHeader     string
	userAgent      string
	// shapes is the contract, for strict validation and the tolerant reader.
	shapes shapeTable
}

// timer is what the runtime needs of a *time.Timer (for the stream idle timeout).
type timer interface {
	Reset(d time.Duration) bool
	Stop() bool
}

type config struct {
	// apiKey is behind a function so that no fmt verb, and no reflection-based
	// dumper, can reach the string.
	apiKey func() secret
	// keyErr is what is wrong with the API key, checked at construction and
	// returned by every call before anything is sent.
	keyErr     error
	strict     bool
	baseURL    string
	httpClient *http.Client
	maxRetries int
	timeout    time.Duration
	headers    http.Header
	// sleep waits d or until ctx is done; replaced by tests.
	sleep func(ctx context.Context, d time.Duration) error
	// afterFunc starts the stream idle timer; replaced by tests.
	afterFunc func(d time.Duration, f func()) timer
	// jitter returns a factor in [0.75, 1.0]; replaced by tests.
	jitter func() float64
}

// String prints the configuration without the API key.
func (c config) String() string {
	return fmt.Sprintf("{baseURL:%s maxRetries:%d timeout:%s apiKey:%s}", c.baseURL, c.maxRetries, c.timeout, secret(""))
}

// GoString prints the configuration without the API key.
func (c config) GoString() string { return c.String() }

// Format prints the configuration without the API key, whatever the verb
// (fmt cannot call the methods of secret through an unexported field).
func (c config) Format(f fmt.State, verb rune) { io.WriteString(f, c.String()) }

// Format prints the core without the API key, whatever the verb.
func (c core) Format(f fmt.State, verb rune) { io.WriteString(f, "core"+c.cfg.String()) }

// core executes requests: auth, headers, retries, error decoding.
type core struct {
	cfg      config
	settings settings
}

var defaultHTTPClient = &http.Client{
	Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: DefaultConnectTimeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   DefaultConnectTimeout,
		MaxIdleConns:          100,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     true,
	},
}

func newCore(s settings, apiKey string, opts []Option) *core {
	cfg := config{
		maxRetries: DefaultMaxRetries,
		timeout:    DefaultTimeout,
		headers:    http.Header{},
		sleep:      sleepContext,
		afterFunc:  func(d time.Duration, f func()) timer { return time.AfterFunc(d, f) },
		jitter:     defaultJitter,
	}
	for _, opt := range opts {
		opt(&cfg)
	}
	if apiKey == "" {
		apiKey = os.Getenv(s.envPrefix + "_API_KEY")
	}
	if s.authHeader != "" {
		cfg.keyErr = checkAPIKey(apiKey, s.envPrefix)
	}
	key := secret(apiKey)
	cfg.apiKey = func() secret { return key }
	if cfg.baseURL == "" {
		cfg.baseURL = os.Getenv(s.envPrefix + "_BASE_URL")
	}
	if cfg.baseURL == "" {
		cfg.baseURL = s.defaultBaseURL
	}
	cfg.baseURL = strings.TrimRight(cfg.baseURL, "/")
	if cfg.httpClient == nil {
		cfg.httpClient = defaultHTTPClient
	}
	if cfg.maxRetries < 0 {
		cfg.maxRetries = 0
	}
	return &core{cfg: cfg, settings: s}
}

// checkAPIKey says what is wrong with a key, never showing it: empty, a
// control character (such as the newline a key read from a file ends with) or
// a character outside ASCII, which no HTTP header can carry.
func checkAPIKey(key, envPrefix string) error {
	if key == "" {
		return invalidArgument("apiKey", "no API key: pass one to NewClient or set %s_API_KEY", envPrefix)
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case c == '\n' || c == '\r':
			return invalidArgument("apiKey", "the API key contains a line break (U+%04X) at byte %d of %d: "+
				"a key read from a file often ends with one; trim it", c, i, len(key))
		case c < 0x20 || c == 0x7f:
			return invalidArgument("apiKey", "the API key contains a control character (U+%04X) at byte %d of %d", c, i, len(key))
		case c >= 0x80:
			return invalidArgument("apiKey", "the API key contains a non-ASCII character at byte %d of %d: "+
				"API keys are ASCII (was it copied from a formatted document?)", i, len(key))
		}
	}
	return nil
}

// checkHeader reports a header name or value no HTTP request can carry,
// naming the header but never showing the value.
func checkHeader(name string, values []string) error {
	if name == "" || strings.IndexFunc(name, func(r rune) bool {
		return r <= ' ' || r >= 0x7f || strings.ContainsRune("\"(),/:;<=>?@[\\]{}", r)
	}) >= 0 {
		return invalidArgument("headers", "%q is not a valid HTTP header name", name)
	}
	for _, v := range values {
		if strings.IndexFunc(v, func(r rune) bool { return (r < ' ' && r != '\t') || r == 0x7f }) >= 0 {
			return invalidArgument("headers", "the value of header %q contains a control character", name)
		}
	}
	return nil
}

func sleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func defaultJitter() float64 {
	return 0.75 + 0.25*mathrand.Float64()
}

type requestConfig struct {
	idempotencyKey string
	maxRetries     *int
	timeout        *time.Duration
	headers        [][2]string
}

// request is one call, as the generated methods describe it.
type request struct {
	method     string
	path       string // already expanded and escaped
	query      url.Values
	headers    [][2]string
	body       any // marshalled to JSON when not nil
	idempotent bool
	stream     bool
	opts       []RequestOption
	// lastEventIDHeader names the header carrying Last-Event-ID when the
	// request can resume a stream.
	lastEventIDHeader string
}

// prepared is a request ready to send, possibly several times.
type prepared struct {
	method     string
	url        string
	body       []byte
	header     http.Header
	maxRetries int
	timeout    time.Duration
}

func (c *core) prepare(r *request) (*prepared, error) {
	if c.cfg.keyErr != nil {
		return nil, c.cfg.keyErr
	}
	var rc requestConfig
	for _, opt := range r.opts {
		opt(&rc)
	}
	p := &prepared{method: r.method, maxRetries: c.cfg.maxRetries, timeout: c.cfg.timeout, header: http.Header{}}
	if rc.maxRetries != nil {
		p.maxRetries = max(*rc.maxRetries, 0)
	}
	if rc.timeout != nil {
		p.timeout = *rc.timeout
	}
	p.url = c.cfg.baseURL + r.path
	if len(r.query) > 0 {
		p.url += "?" + r.query.Encode()
	}
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return nil, invalidArgument("params", "cannot encode the request body: %v", err)
		}
		p.body = b
		p.header.Set("Content-Type", "application/json")
	}
	if r.stream {
		p.header.Set("Accept", "text/event-stream")
		p.header.Set("Cache-Control", "no-cache")
	} else {
		p.header.Set("Accept", "application/json")
	}
	p.header.Set("User-Agent", c.settings.userAgent)
	for k, vs := range c.cfg.headers {
		p.header[k] = append([]string(nil), vs...)
	}
	for _, h := range r.headers {
		p.header.Set(h[0], h[1])
	}
	for _, h := range rc.headers {
		p.header.Set(h[0], h[1])
	}
	if r.idempotent {
		key := rc.idempotencyKey
		if key == "" {
			key = p.header.Get("Idempotency-Key")
		}
		if key == "" {
			key = newUUID()
		}
		p.header.Set("Idempotency-Key", key)
	}
	for name, values := range p.header {
		if err := checkHeader(name, values); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// attempt is one HTTP exchange; cancel releases its context (for a stream,
// once the stream is closed).
type attempt struct {
	resp *http.Response
	// body is the whole body of a non-stream response (already read and closed).
	body   []byte
	cancel context.CancelFunc
	// timedOut reports whether this attempt's own timeout fired.
	timedOut func() bool
}

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
type sendWatcher struct {
	base   http.RoundTripper
	budget *sendBudget
}

func (w *sendWatcher) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(req.Context())
	var mu sync.Mutex
	conns := 0
	trace := &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) {
			mu.Lock()
			conns++
			n := conns
			mu.Unlock()
			if n == 1 || w.budget.resend(false) {
				return
			}
			cancel(errResendRefused)
			if exclusiveConn(info.Conn) {
				info.Conn.Close()
			}
		},
	}
	out := req.WithContext(httptrace.WithClientTrace(ctx, trace))
	if get := req.GetBody; get != nil {
		// The Transport calls GetBody only to rewind the body for a re-send
		// (the Client's own calls, for redirects, use the caller's request).
		out.GetBody = func() (io.ReadCloser, error) {
			if !w.budget.resend(true) {
				cancel(errResendRefused)
				return nil, errResendRefused
			}
			return get()
		}
	}
	resp, err := w.base.RoundTrip(out)
	if err != nil {
		cancel(err)
	}
	// On success the context lives as long as the attempt's (its parent).
	return resp, err
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

// watched returns a copy of the configured client whose transport charges
// hidden re-sends to b.
func (c *core) watched(b *sendBudget) *http.Client {
	hc := *c.cfg.httpClient
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	hc.Transport = &sendWatcher{base: base, budget: b}
	// net/http drops Authorization and cookies when a redirect leaves the
	// host, but not a custom auth header: drop the API key there too.
	check, auth := hc.CheckRedirect, c.settings.authHeader
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if auth != "" && len(via) > 0 && req.URL.Host != via[0].URL.Host {
			req.Header.Del(auth)
		}
		if check != nil {
			return check(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	return &hc
}

// send performs one attempt. For a stream the timeout covers the wait for the
// response headers only; the stream applies its own idle timeout afterwards.
func (c *core) send(ctx context.Context, p *prepared, stream bool, b *sendBudget) (*attempt, error) {
	b.attempt()
	actx, cancel := context.WithCancel(ctx)
	var fired bool
	var mu sync.Mutex
	var t timer
	if p.timeout > 0 {
		t = c.cfg.afterFunc(p.timeout, func() {
			mu.Lock()
			fired = true
			mu.Unlock()
			cancel()
		})
	}
	timedOut := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return fired
	}
	var body io.Reader
	if p.body != nil {
		body = bytes.NewReader(p.body)
	}
	req, err := http.NewRequestWithContext(actx, p.method, p.url, body)
	if err != nil {
		cancel()
		return nil, invalidArgument("baseURL", "cannot build the request: %v", err)
	}
	req.Header = p.header.Clone()
	if c.settings.authHeader != "" {
		// Only the request on the wire carries the key: the prepared request
		// (kept by a stream to resume) does not, and the response's copy of
		// the request is redacted below.
		req.Header.Set(c.settings.authHeader, string(c.cfg.apiKey()))
	}
	resp, err := c.watched(b).Do(req)
	if err != nil {
		if t != nil {
			t.Stop()
		}
		cancel()
		if b.wasRefused() && ctx.Err() == nil && !timedOut() {
			err = errResendRefused
		}
		return nil, c.transportError(ctx, err, timedOut())
	}
	redactRequest(resp, c.settings.authHeader)
	if stream && t != nil {
		t.Stop()
	}
	release := func() {
		if t != nil {
			t.Stop()
		}
		cancel()
	}
	return &attempt{resp: resp, cancel: release, timedOut: timedOut}, nil
}

// transportError classifies a failure to get (or read) an answer.
func (c *core) transportError(ctx context.Context, err error, timedOut bool) error {
	if ctx.Err() != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return &APITimeoutError{&APIConnectionError{Message: "request timed out (context deadline)", Err: ctx.Err()}}
		}
		return ctx.Err()
	}
	var ne net.Error
	if timedOut || (errors.As(err, &ne) && ne.Timeout()) {
		return &APITimeoutError{&APIConnectionError{Message: "request timed out", Err: stripURL(err)}}
	}
	return &APIConnectionError{Message: "connection error", Err: stripURL(err)}
}

// stripURL drops the *url.Error wrapper (its message repeats the URL) but keeps its cause.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// retryable reports whether an attempt's outcome may be retried.
func retryable(resp *http.Response, err error) bool {
	if resp != nil {
		switch resp.Header.Get("X-Should-Retry") {
		case "true":
			return true
		case "false":
			return false
		}
		s := resp.StatusCode
		return s == 408 || s == 409 || s == 429 || s >= 500
	}
	var conn *APIConnectionError
	return errors.As(err, &conn)
}

// retryDelay is the wait before retry n (0-based): the server's retry-after-ms
// or Retry-After when it gives a value in [0, 60] seconds, else
// min(0.5 * 2**n, 8) seconds times a jitter factor in [0.75, 1.0].
func (c *core) retryDelay(n int, resp *http.Response) time.Duration {
	if resp != nil {
		if d, ok := retryAfter(resp.Header, time.Now()); ok {
			return d
		}
	}
	secs := math.Min(0.5*math.Pow(2, float64(n)), 8.0) * c.cfg.jitter()
	return time.Duration(secs * float64(time.Second))
}

func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	const limit = 60 * time.Second
	if v := strings.TrimSpace(h.Get("Retry-After-Ms")); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && !math.IsNaN(ms) {
			d := time.Duration(ms * float64(time.Millisecond))
			if d >= 0 && d <= limit {
				return d, true
			}
		}
	}
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if secs, err := strconv.ParseFloat(v, 64); err == nil && !math.IsNaN(secs) {
			d := time.Duration(secs * float64(time.Second))
			if d >= 0 && d <= limit {
				return d, true
			}
		} else if t, err := http.ParseTime(v); err == nil {
			d := t.Sub(now)
			if d < 0 {
				d = 0
			}
			if d <= limit {
				return d, true
			}
		}
	}
	return 0, false
}

// do sends a request with retries and returns a 2xx response, or a typed error.
// The caller closes the attempt (its body and context).
func (c *core) do(ctx context.Context, r *request) (*attempt, error) {
	p, err := c.prepare(r)
	if err != nil {
		return nil, err
	}
	return c.doPrepared(ctx, p, r.stream)
}

func (c *core) doPrepared(ctx context.Context, p *prepared, stream bool) (*attempt, error) {
	budget := &sendBudget{limit: 1 + p.maxRetries}
	for {
		a, err := c.send(ctx, p, stream, budget)
		var resp *http.Response
		if err == nil {
			resp = a.resp
			if resp.StatusCode < 400 && stream {
				return a, nil
			}
			limit := int64(math.MaxInt64)
			if resp.StatusCode >= 400 {
				limit = maxErrorBody
			}
			body, rerr := io.ReadAll(io.LimitReader(resp.Body, limit))
			resp.Body.Close()
			a.cancel()
			switch {
			case rerr != nil:
				err = c.transportError(ctx, rerr, a.timedOut())
				resp = nil
			case resp.StatusCode < 400:
				a.body = body
				return a, nil
			default:
				resp.Body = io.NopCloser(bytes.NewReader(body))
				err = newStatusError(resp, body)
			}
		}
		if ctx.Err() != nil || !budget.left() || !retryable(resp, err) {
			return nil, err
		}
		if serr := c.cfg.sleep(ctx, c.retryDelay(budget.retries(), resp)); serr != nil {
			return nil, c.transportError(ctx, serr, false)
		}
	}
}

// redactRequest replaces the request a response points to (and the requests
// of the redirects that led to it) with copies whose auth header is redacted,
// so no response the SDK keeps or exposes reaches the key.
func redactRequest(resp *http.Response, authHeader string) {
	for ; resp != nil && resp.Request != nil; resp = resp.Request.Response {
		req := resp.Request.Clone(context.Background())
		if authHeader != "" && req.Header.Get(authHeader) != "" {
			req.Header.Set(authHeader, "[REDACTED]")
		}
		if req.Response != nil {
			prev := *req.Response
			req.Response = &prev
		}
		resp.Request = req
	}
}

// unusable is the error of a 2xx response the SDK cannot read at all (not
// JSON, or without the value the call returns).
func unusable(a *attempt, format string, args ...any) error {
	return &APIError{Message: fmt.Sprintf("cannot read the %d response: %s", a.resp.StatusCode, fmt.Sprintf(format, args...))}
}

// invalidResponse is the strict mode's error for a response that departs
// from the contract.
func invalidResponse(a *attempt, m *mismatch) error {
	return &APIResponseValidationError{StatusCode: a.resp.StatusCode, Path: m.path, Reason: m.reason, Response: a.resp, Body: a.body}
}

// envelopeObjectShape reads the {"data": ...} wrapper of single objects.
var envelopeObjectShape = &objectShape{fields: []fieldShape{{wire: "data", required: true}}, flatten: -1}

// getJSON sends a request and reads its {"data": ...} envelope into out,
// whose shape in the contract is named shape.
func getJSON[T any](ctx context.Context, c *core, r *request, out *T, shape string) error {
	a, err := c.do(ctx, r)
	if err != nil {
		return err
	}
	o, err := readObject(string(a.body), envelopeObjectShape, false)
	if err != nil {
		return unusable(a, "%v", err)
	}
	data := o.vals[0]
	if data == "" || data == "null" {
		return unusable(a, "it has no data")
	}
	if err := decodeInto(data, out); err != nil {
		return unusable(a, "data: %v", err)
	}
	if c.cfg.strict {
		if m := c.settings.shapes.check("data", shape, data); m != nil {
			return invalidResponse(a, m)
		}
	}
	return nil
}

// retryableError reports whether a failed attempt may be retried.
func retryableError(err error) bool { return retryable(statusResponse(err), err) }

// call sends a request whose answer has no body the SDK returns.
func (c *core) call(ctx context.Context, r *request) error {
	_, err := c.do(ctx, r)
	return err
}

// buildPath fills the {name} placeholders of a path template with the values
// of kv (name, value, name, value...), escaped; an empty value is an
// *InvalidArgumentError.
func buildPath(template string, kv ...string) (string, error) {
	for i := 0; i+1 < len(kv); i += 2 {
		v, err := pathParam(kv[i], kv[i+1])
		if err != nil {
			return "", err
		}
		template = strings.Replace(template, "{"+kv[i]+"}", v, 1)
	}
	return template, nil
}

// pathParam checks that a path parameter is not empty and escapes it.
func pathParam(name, value string) (string, error) {
	if value == "" {
		return "", invalidArgument(name, "%s must not be empty", name)
	}
	return url.PathEscape(value), nil
}

func newUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
