import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	mathrand "math/rand"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// settings are what the generated client knows about the API.
type settings struct {
	envPrefix      string
	defaultBaseURL string
	userAgent      string
	// shapes is the contract, for strict validation and the tolerant reader.
	shapes shapeTable
	// auth lists the security schemes the SDK can send, in spec order.
	auth []authScheme
}

// authScheme is one security scheme: its credential goes in param (a header,
// query parameter or cookie), after prefix.
type authScheme struct {
	key      string // the spec's securitySchemes key
	basic    bool   // HTTP basic: the credential is "username:password", sent base64-encoded
	location string // "header", "query", "cookie", or "transport" (mutual TLS: nothing to send)
	param    string
	prefix   string
	env      []string // the environment variables it is read from (basic: username, password)
	// how names the way to set it in code, for messages ("NewClient's apiKey").
	how string
}

// core executes requests: auth, headers, retries, error decoding.
type core struct {
	cfg      config
	settings *settings
}

// Format prints the core without any credential, whatever the verb.
func (c core) Format(f fmt.State, verb rune) { io.WriteString(f, "core"+c.cfg.String()) }

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

// newCore builds a client's core: credentials from the environment, then
// primary (the API key given to NewClient, for the scheme primaryScheme
// names), then the options.
func newCore(s *settings, primaryScheme, primary string, opts []Option) *core {
	cfg := config{
		maxRetries: DefaultMaxRetries,
		timeout:    DefaultTimeout,
		sleep:      sleepContext,
		afterFunc:  func(d time.Duration, f func()) timer { return time.AfterFunc(d, f) },
		jitter:     defaultJitter,
	}
	for _, a := range s.auth {
		switch {
		case a.basic && len(a.env) == 2:
			user, pass := os.Getenv(a.env[0]), os.Getenv(a.env[1])
			if user != "" || pass != "" {
				withCredential(a.key, user+":"+pass)(&cfg)
			}
		case len(a.env) == 1:
			if v := os.Getenv(a.env[0]); v != "" {
				withCredential(a.key, v)(&cfg)
			}
		}
	}
	if primary != "" {
		withCredential(primaryScheme, primary)(&cfg)
	}
	for _, opt := range opts {
		opt(&cfg)
	}
	if cfg.baseURL == "" {
		cfg.baseURL = os.Getenv(s.envPrefix + "_BASE_URL")
	}
	if cfg.baseURL == "" {
		cfg.baseURL = s.defaultBaseURL
	}
	if cfg.httpClient == nil {
		cfg.httpClient = defaultHTTPClient
	}
	if cfg.logger == nil {
		cfg.logger = envLogger(s.envPrefix + "_LOG")
	}
	return &core{cfg: cfg, settings: s}
}

// with returns a core with the options applied over this one's (the same
// HTTP client, so the same connection pool, unless an option changes it).
func (c *core) with(opts []Option) *core {
	cfg := c.cfg
	for _, opt := range opts {
		opt(&cfg)
	}
	return &core{cfg: cfg, settings: c.settings}
}

// checkCredential says what is wrong with a credential, never showing it: a
// control character (such as the newline a key read from a file ends with)
// or a character outside ASCII, which no HTTP header can carry.
func checkCredential(key secret, what string) error {
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case c == '\n' || c == '\r':
			return invalidArgument("apiKey", "the %s contains a line break (U+%04X) at byte %d of %d: "+
				"a key read from a file often ends with one; trim it", what, c, i, len(key))
		case c < 0x20 || c == 0x7f:
			return invalidArgument("apiKey", "the %s contains a control character (U+%04X) at byte %d of %d", what, c, i, len(key))
		case c >= 0x80:
			return invalidArgument("apiKey", "the %s contains a non-ASCII character at byte %d of %d: "+
				"API keys are ASCII (was it copied from a formatted document?)", what, i, len(key))
		}
	}
	return nil
}

// credential is one credential to send.
type credential struct {
	scheme *authScheme
	value  secret
}

// credentialsFor picks the first alternative of the operation's security
// requirements whose every scheme has a credential (an empty alternative
// needs none), and checks those credentials.
func (c *core) credentialsFor(cfg *config, security [][]string) ([]credential, error) {
	if len(security) == 0 {
		return nil, nil
	}
	for _, alt := range security {
		var creds []credential
		ok := true
		for _, key := range alt {
			a := c.settings.scheme(key)
			if a == nil {
				ok = false // a scheme this SDK cannot send
				break
			}
			if a.location == "transport" {
				continue // mutual TLS: the HTTP client carries it
			}
			v, set := secret(""), false
			if cfg.creds != nil {
				v, set = cfg.creds(key)
			}
			if !set || v == "" {
				ok = false
				break
			}
			creds = append(creds, credential{a, v})
		}
		if !ok {
			continue
		}
		for _, cr := range creds {
			what := "API key"
			if cr.scheme.basic {
				what = "username or password"
			}
			if err := checkCredential(cr.value, what); err != nil {
				return nil, err
			}
		}
		return creds, nil
	}
	var ways []string
	for _, key := range security[0] {
		if a := c.settings.scheme(key); a != nil && a.how != "" {
			w := a.how
			if len(a.env) > 0 {
				w += " or set " + strings.Join(a.env, " and ")
			}
			ways = append(ways, w)
		}
	}
	return nil, invalidArgument("apiKey", "no API key: %s", strings.Join(ways, "; "))
}

func (s *settings) scheme(key string) *authScheme {
	for i := range s.auth {
		if s.auth[i].key == key {
			return &s.auth[i]
		}
	}
	return nil
}

// secretHeaders reports whether a header holds a credential: one a scheme
// sends, or one named like a key or a token.
func (s *settings) secretHeader(name string) bool {
	for _, a := range s.auth {
		if a.location == "header" && strings.EqualFold(a.param, name) {
			return true
		}
	}
	n := strings.ToLower(name)
	for _, w := range []string{"auth", "key", "token", "secret", "cookie", "password"} {
		if strings.Contains(n, w) && n != "idempotency-key" {
			return true
		}
	}
	return false
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

// The kinds of body a request has, and of answer it expects.
const (
	bodyJSON      = "json"
	bodyForm      = "form"
	bodyMultipart = "multipart"
	bodyRaw       = "raw" // binary or text: rawBody as is
)

// request is one call, as the generated methods describe it.
type request struct {
	method   string
	path     string // already expanded and escaped
	query    url.Values
	headers  [][2]string
	cookies  [][2]string
	security [][]string // the operation's security requirement alternatives
	// body is the body's value (marshalled to JSON for bodyJSON, and turned
	// into form fields for bodyForm and bodyMultipart); nil: no body.
	body        any
	bodyKind    string
	contentType string        // of a raw body
	rawBody     io.Reader     // bodyRaw
	files       []filePart    // bodyMultipart: the file fields
	bodySet     []jsonSetting // keys the method sets itself (a body switch such as stream: true)
	accept      string
	idempotent  bool
	keepOpen    bool // a stream or a binary answer: the body is not read
	// noBody: the request has no body whatever the options say (a stream's
	// resume request, made with the options of the call that opened it).
	noBody bool
	opts   []Option
	// lastEventIDHeader names the header carrying Last-Event-ID when the
	// request can resume a stream.
	lastEventIDHeader string
	// err is the first parameter that could not be encoded.
	err error
}

// addQuery adds a query parameter (see addQuery).
func (r *request) addQuery(name, style string, explode int, value any) {
	if r.query == nil {
		r.query = url.Values{}
	}
	if err := addQuery(r.query, name, style, explode, value); err != nil && r.err == nil {
		r.err = err
	}
}

// addHeader adds a header parameter.
func (r *request) addHeader(name string, value any) {
	r.headers = append(r.headers, [2]string{name, paramString(value)})
}

// addCookie adds a cookie parameter.
func (r *request) addCookie(name string, value any) {
	r.cookies = append(r.cookies, [2]string{name, paramString(value)})
}

// prepared is a request ready to send, possibly several times.
type prepared struct {
	method  string
	url     string // without credentials
	body    []byte
	header  http.Header
	fixed   []string // backs Content-Type and Idempotency-Key (see prepare)
	cookies [][2]string
	// creds returns the credentials to send; behind a function so that no
	// fmt verb reaches them.
	creds func() []credential
	cfg   *config
}

func (c *core) prepare(r *request) (*prepared, error) {
	if r.err != nil {
		return nil, r.err
	}
	cfg := c.cfg
	cfg.inCall = true
	for _, opt := range r.opts {
		opt(&cfg)
	}
	cfg.inCall = false
	creds, err := c.credentialsFor(&cfg, r.security)
	if err != nil {
		return nil, err
	}
	p := &prepared{method: r.method, header: make(http.Header, 8), cookies: r.cookies, creds: func() []credential { return creds }, cfg: &cfg}
	p.url = strings.TrimRight(cfg.baseURL, "/") + r.path
	if len(r.query) > 0 || len(cfg.query) > 0 {
		query := make(url.Values, len(r.query)+len(cfg.query))
		for k, vs := range r.query {
			query[k] = append([]string(nil), vs...)
		}
		for _, kv := range cfg.query {
			query.Set(kv[0], kv[1])
		}
		p.url += "?" + query.Encode()
	}
	// The headers every request has, under their canonical names, their
	// values in one slice (each of capacity 1: an Add elsewhere copies).
	fixed := make([]string, 5)
	fixed[0] = r.accept
	if fixed[0] == "" {
		fixed[0] = "application/json"
	}
	fixed[1] = c.settings.userAgent
	p.header["Accept"] = fixed[0:1:1]
	p.header["User-Agent"] = fixed[1:2:2]
	if fixed[0] == "text/event-stream" {
		fixed[2] = "no-cache"
		p.header["Cache-Control"] = fixed[2:3:3]
	}
	p.fixed = fixed[3:5:5]
	if err := encodeBody(r, &cfg, p); err != nil {
		return nil, err
	}
	edit := func(call bool) {
		for _, h := range cfg.headers {
			if h.call != call {
				continue
			}
			if h.del {
				p.header.Del(h.key)
				if http.CanonicalHeaderKey(h.key) == "User-Agent" {
					p.header["User-Agent"] = []string{""} // net/http sends none, not its own
				}
			} else {
				p.header.Set(h.key, h.value)
			}
		}
	}
	edit(false)
	for _, h := range r.headers {
		p.header.Set(h[0], h[1])
	}
	edit(true)
	if r.idempotent {
		key := cfg.idempotencyKey
		if key == "" {
			key = p.header.Get("Idempotency-Key")
		}
		if key == "" {
			key = newUUID()
		}
		p.fixed[1] = key
		p.header["Idempotency-Key"] = p.fixed[1:2:2]
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
	// body is the whole body of a response that was read (already closed).
	body []byte
	// cfg is the configuration of the call.
	cfg      *config
	settings *settings
	stop     context.CancelFunc // cancels the attempt's context
	t        timer              // the attempt's timeout (nil: none)
	fired    atomic.Bool        // the timeout fired
	// shown: the response was made fit to leave the SDK (see exposed).
	shown bool
}

// cancel releases the attempt: its timer and its context.
func (a *attempt) cancel() {
	if a.t != nil {
		a.t.Stop()
	}
	a.stop()
}

// timeout is the attempt's timer callback.
func (a *attempt) timeout() {
	a.fired.Store(true)
	a.stop()
}

// timedOut reports whether this attempt's own timeout fired.
func (a *attempt) timedOut() bool { return a.fired.Load() }

// exposed returns the response, made fit to leave the SDK (in an error, in
// WithResponseInto, as a stream's or a raw call's response): the request it
// points to is a copy with the credentials redacted, and a body the SDK read
// is readable again. Done on the first call only: a call whose response
// never leaves (a decoded JSON answer) pays nothing for it.
func (a *attempt) exposed() *http.Response {
	if !a.shown {
		a.shown = true
		redactRequest(a.settings, a.resp)
		if a.body != nil {
			a.resp.Body = io.NopCloser(bytes.NewReader(a.body))
		}
	}
	return a.resp
}

// watched returns a copy of the call's client whose transport charges hidden
// re-sends to b, and which drops credentials on a redirect leaving the host.
func (c *core) watched(cfg *config, b *sendBudget, stop context.CancelFunc) *http.Client {
	hc := *cfg.httpClient
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	hc.Transport = &sendWatcher{base: base, budget: b, stop: stop}
	// net/http drops Authorization and cookies when a redirect leaves the
	// host, but not other headers: drop every credential there.
	check := hc.CheckRedirect
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) > 0 && req.URL.Host != via[0].URL.Host {
			for _, a := range c.settings.auth {
				if a.location == "header" {
					req.Header.Del(a.param)
				}
			}
			req.Header.Del("Cookie")
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

// wire returns the request of one attempt: the prepared one with its
// credentials, which only the request on the wire carries.
func (p *prepared) wire(ctx context.Context) (*http.Request, error) {
	u := p.url
	var query []string
	cookies := append([][2]string(nil), p.cookies...)
	header := p.header.Clone()
	for _, cr := range p.creds() {
		v := string(cr.value)
		if cr.scheme.basic {
			v = base64.StdEncoding.EncodeToString([]byte(v))
		}
		v = cr.scheme.prefix + v
		switch cr.scheme.location {
		case "header":
			header.Set(cr.scheme.param, v)
		case "query":
			query = append(query, url.QueryEscape(cr.scheme.param)+"="+url.QueryEscape(v))
		case "cookie":
			cookies = append(cookies, [2]string{cr.scheme.param, v})
		}
	}
	if len(query) > 0 {
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		u += sep + strings.Join(query, "&")
	}
	var body io.Reader
	if p.body != nil {
		body = bytes.NewReader(p.body)
	}
	req, err := http.NewRequestWithContext(ctx, p.method, u, body)
	if err != nil {
		return nil, invalidArgument("baseURL", "cannot build the request: %v", stripURL(err))
	}
	for _, kv := range cookies {
		header.Add("Cookie", (&http.Cookie{Name: kv[0], Value: kv[1]}).String())
	}
	req.Header = header
	return req, nil
}

// send performs one attempt. For a kept-open answer the timeout covers the
// wait for the response headers only (a stream applies its own idle timeout
// afterwards).
func (c *core) send(ctx context.Context, p *prepared, keepOpen bool, b *sendBudget) (*attempt, error) {
	b.attempt()
	actx, stop := context.WithCancel(ctx)
	a := &attempt{cfg: p.cfg, settings: c.settings, stop: stop}
	if p.cfg.timeout > 0 {
		a.t = p.cfg.afterFunc(p.cfg.timeout, a.timeout)
	}
	req, err := p.wire(actx)
	if err != nil {
		a.cancel()
		return nil, err
	}
	start := time.Now()
	resp, err := c.watched(p.cfg, b, stop).Do(req)
	if err != nil {
		a.cancel()
		if b.wasRefused() && ctx.Err() == nil && !a.timedOut() {
			err = errResendRefused
		}
		err = transportError(ctx, err, a.timedOut())
		c.logAttempt(p, req.Header, nil, err, time.Since(start))
		return nil, err
	}
	c.logAttempt(p, req.Header, resp, nil, time.Since(start))
	a.resp = resp
	if keepOpen {
		if a.t != nil {
			a.t.Stop()
		}
		a.exposed() // a stream's or a raw call's response leaves the SDK
	}
	return a, nil
}

// transportError classifies a failure to get (or read) an answer.
func transportError(ctx context.Context, err error, timedOut bool) error {
	if ctx.Err() != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return timeoutError("request timed out (context deadline)", ctx.Err())
		}
		return ctx.Err()
	}
	var ne net.Error
	if timedOut || (errors.As(err, &ne) && ne.Timeout()) {
		return timeoutError("request timed out", stripURL(err))
	}
	return connectionError("connection error", stripURL(err))
}

// stripURL drops the *url.Error wrapper (its message repeats the URL, which
// may hold a credential) but keeps its cause.
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
	return errors.Is(err, ErrConnection)
}

// retryDelay is the wait before retry n (0-based): the server's retry-after-ms
// or Retry-After when it gives a value in [0, 60] seconds, else
// min(0.5 * 2**n, 8) seconds times a jitter factor in [0.75, 1.0].
func retryDelay(cfg *config, n int, resp *http.Response) time.Duration {
	if resp != nil {
		if d, ok := retryAfter(resp.Header, time.Now()); ok {
			return d
		}
	}
	secs := math.Min(0.5*math.Pow(2, float64(n)), 8.0) * cfg.jitter()
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

// do sends a request with retries and returns a 2xx response, or an error.
// The caller closes the attempt (its body and context).
func (c *core) do(ctx context.Context, r *request) (*attempt, error) {
	p, err := c.prepare(r)
	if err != nil {
		return nil, err
	}
	return c.doPrepared(ctx, p, r.keepOpen, p.cfg.maxRetries)
}

// doPrepared sends a prepared request, retried up to retries times. A
// kept-open answer (a stream, binary content) is returned with its body
// unread.
func (c *core) doPrepared(ctx context.Context, p *prepared, keepOpen bool, retries int) (*attempt, error) {
	budget := &sendBudget{limit: 1 + retries}
	for {
		a, err := c.send(ctx, p, keepOpen, budget)
		var resp *http.Response
		if err == nil {
			resp = a.resp
			if resp.StatusCode < 400 && keepOpen {
				c.store(p, a)
				return a, nil
			}
			body, rerr := readBody(resp)
			resp.Body.Close()
			a.cancel()
			a.body = body
			if a.body == nil {
				a.body = []byte{}
			}
			c.store(p, a)
			switch {
			case rerr != nil:
				err = transportError(ctx, rerr, a.timedOut())
				resp = nil
			case resp.StatusCode < 400:
				return a, nil
			default:
				err = newStatusError(a.exposed(), body)
			}
		}
		if ctx.Err() != nil || !budget.left() || !retryable(resp, err) {
			return nil, err
		}
		delay := retryDelay(p.cfg, budget.retries(), resp)
		c.logRetry(p, err, delay)
		if serr := p.cfg.sleep(ctx, delay); serr != nil {
			return nil, transportError(ctx, serr, false)
		}
	}
}

// store gives the response to WithResponseInto, if the call asked for it.
func (c *core) store(p *prepared, a *attempt) {
	if p.cfg.responseInto != nil {
		*p.cfg.responseInto = a.exposed()
	}
}

// readBody reads a response's body: all of a success's, at most maxErrorBody
// of an error's. A body of known length is read into a buffer of that size.
func readBody(resp *http.Response) ([]byte, error) {
	limit := int64(math.MaxInt64)
	if resp.StatusCode >= 400 {
		limit = maxErrorBody
	}
	if n := resp.ContentLength; n >= 0 && n < limit && n <= 8<<20 {
		buf := bytes.NewBuffer(make([]byte, 0, n+1))
		_, err := buf.ReadFrom(io.LimitReader(resp.Body, limit))
		return buf.Bytes(), err
	}
	if limit == math.MaxInt64 {
		return io.ReadAll(resp.Body)
	}
	return io.ReadAll(io.LimitReader(resp.Body, limit))
}

// redactRequest replaces the request a response points to (and the requests
// of the redirects that led to it) with copies whose credentials are
// redacted, so no response the SDK keeps or exposes reaches them.
func redactRequest(s *settings, resp *http.Response) {
	for ; resp != nil && resp.Request != nil; resp = resp.Request.Response {
		req := resp.Request.Clone(context.Background())
		for _, a := range s.auth {
			switch a.location {
			case "header":
				if req.Header.Get(a.param) != "" {
					req.Header.Set(a.param, "[REDACTED]")
				}
			case "query":
				if q := req.URL.Query(); q.Has(a.param) {
					q.Set(a.param, "[REDACTED]")
					u := *req.URL
					u.RawQuery = q.Encode()
					req.URL = &u
				}
			}
		}
		if req.Header.Get("Cookie") != "" {
			req.Header.Set("Cookie", "[REDACTED]")
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
	return &Error{
		Kind:       ErrResponseValidation,
		StatusCode: a.resp.StatusCode,
		RequestID:  a.resp.Header.Get("X-Request-ID"),
		Message:    fmt.Sprintf("cannot read the %d response: %s", a.resp.StatusCode, fmt.Sprintf(format, args...)),
		Response:   a.exposed(),
		Body:       a.body,
	}
}

// invalidResponse is the strict mode's error for a response that departs
// from the contract.
func invalidResponse(a *attempt, m *mismatch) error {
	where := ""
	if m.path != "" {
		where = " at " + m.path
	}
	return &Error{
		Kind:       ErrResponseValidation,
		StatusCode: a.resp.StatusCode,
		RequestID:  a.resp.Header.Get("X-Request-ID"),
		Message:    fmt.Sprintf("the %d response does not match the API contract%s: %s", a.resp.StatusCode, where, m.reason),
		Path:       m.path,
		Reason:     m.reason,
		Response:   a.exposed(),
		Body:       a.body,
	}
}

// envelopeObjectShape reads the {"data": ...} wrapper of single objects.
var envelopeObjectShape = &objectShape{fields: []fieldShape{{wire: "data", required: true}}, flatten: -1}

// getJSON sends a request and reads the JSON answer into out: the value of
// its "data" when wrapped, else the whole body. shape is the contract's
// shape of that value, for strict mode (nil: nothing to check).
func getJSON[T any](ctx context.Context, c *core, r *request, out *T, wrapped bool, shape *valueShape) error {
	a, err := c.do(ctx, r)
	if err != nil {
		return err
	}
	value, path := string(a.body), ""
	if wrapped {
		var vals [1]string
		o, err := scanObject(value, envelopeObjectShape, vals[:], false)
		if err != nil {
			return unusable(a, "%v", err)
		}
		value, path = o.vals[0], "data"
		if value == "" || value == "null" {
			return unusable(a, "it has no data")
		}
	} else if err := checkJSON(value); err != nil {
		return unusable(a, "%v", err)
	}
	if err := decodeInto(value, out); err != nil {
		if path != "" {
			return unusable(a, "%s: %v", path, err)
		}
		return unusable(a, "%v", err)
	}
	if a.cfg.strict && shape != nil {
		if m := c.settings.shapes.checkValue(path, shape, value); m != nil {
			return invalidResponse(a, m)
		}
	}
	return nil
}

// getText sends a request and returns its body as text.
func getText(ctx context.Context, c *core, r *request) (string, error) {
	a, err := c.do(ctx, r)
	if err != nil {
		return "", err
	}
	return string(a.body), nil
}

// getRaw sends a request and returns the response with its body unread: the
// caller reads and closes it.
func getRaw(ctx context.Context, c *core, r *request) (*http.Response, error) {
	r.keepOpen = true
	a, err := c.do(ctx, r)
	if err != nil {
		return nil, err
	}
	body := a.resp.Body
	a.resp.Body = &releasingBody{ReadCloser: body, release: a.cancel}
	return a.resp, nil
}

// releasingBody releases the attempt's context when the body is closed.
type releasingBody struct {
	io.ReadCloser
	release func()
}

func (b *releasingBody) Close() error {
	err := b.ReadCloser.Close()
	b.release()
	return err
}

// call sends a request whose answer has no body the SDK returns.
func (c *core) call(ctx context.Context, r *request) error {
	_, err := c.do(ctx, r)
	return err
}

// buildPath fills the {name} placeholders of a path template with the values
// of kv (name, value, name, value...), escaped; an empty value is an
// ErrInvalidArgument error.
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
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:36], b[10:16])
	return string(out[:])
}

// requestIDOf is the X-Request-ID header of an attempt's response.
func requestIDOf(a *attempt) string { return a.resp.Header.Get("X-Request-ID") }
