import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"time"
)

// Defaults of the runtime policy.
const (
	DefaultMaxRetries     = 2
	DefaultTimeout        = 60 * time.Second
	DefaultConnectTimeout = 5 * time.Second
	maxErrorBody          = 1 << 20
)

// Option configures a client (NewClient, Client.WithOptions) or one call (the
// last arguments of every method); a call's options apply over its client's.
type Option func(*config)

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
	return func(c *config) { c.maxRetries = max(n, 0) }
}

// WithTimeout sets the timeout of one attempt of a request, and the longest
// silence allowed between two chunks of a stream (default 60s).
func WithTimeout(d time.Duration) Option {
	return func(c *config) { c.timeout = d }
}

// WithRequestTimeout is WithTimeout, named for its use on one call.
func WithRequestTimeout(d time.Duration) Option { return WithTimeout(d) }

// WithHeader sets a header on the requests (on a client: every request; on a
// call: that call's, over the headers the call itself sets).
func WithHeader(key, value string) Option {
	return func(c *config) { c.headers = append(slices.Clip(c.headers), headerEdit{key, value, false, c.inCall}) }
}

// WithHeaderDel removes a header from the requests, including one the SDK
// sets by default (such as User-Agent); credentials are still sent.
func WithHeaderDel(key string) Option {
	return func(c *config) { c.headers = append(slices.Clip(c.headers), headerEdit{key, "", true, c.inCall}) }
}

// WithQuery sets a query parameter on the requests, over a parameter of the
// same name the call itself sets: for parameters this SDK does not know yet.
func WithQuery(key, value string) Option {
	return func(c *config) { c.query = append(slices.Clip(c.query), [2]string{key, value}) }
}

// WithJSONSet sets a key of the JSON request body, over what the call itself
// sends: for fields this SDK does not know yet. A dotted key ("a.b") sets a
// nested key, making the objects on its way. A call without a body gets a
// JSON object body; a call whose body is not JSON fails with an
// ErrInvalidArgument error.
func WithJSONSet(key string, value any) Option {
	return func(c *config) { c.jsonSet = append(slices.Clip(c.jsonSet), jsonSetting{key, value}) }
}

// WithIdempotencyKey sets the Idempotency-Key of a call (default: a random
// UUID per call), sent unchanged on every retry of the call.
func WithIdempotencyKey(key string) Option {
	return func(c *config) { c.idempotencyKey = key }
}

// WithResponseInto makes a call store its final HTTP response in *dst,
// whatever the outcome (nil when no answer came): its status and headers,
// such as X-Request-ID, and its body, already read (readable again). For a
// stream, *dst is the response of the connection the stream reads, whose body
// the stream owns.
func WithResponseInto(dst **http.Response) Option {
	return func(c *config) { c.responseInto = dst }
}

// WithStrictValidation makes every response and every event checked against
// the API contract (required fields, JSON types, no null where the contract
// allows none, enum values known): a mismatch is an error of kind
// ErrResponseValidation (in a stream, an ErrStream error caused by one). By
// default responses are read tolerantly (see JSONField): what the server sent
// more, less or otherwise than the contract says never fails a call whose
// response is usable.
func WithStrictValidation() Option {
	return func(c *config) { c.strict = true }
}

// WithLogger sends the SDK's log records to l: at Info, one line per attempt
// (method, path, status, duration, request id), each retry and each stream
// resume; at Debug also the request and response headers (credentials
// redacted), idempotency keys and the events' names and ids. Bodies and
// credentials are never logged. Without it, {PREFIX}_LOG=info or debug logs
// to stderr at that level; otherwise nothing is logged.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.logger = l }
}

// headerEdit is a header set or deleted by an option; call edits apply after
// the headers the call itself sets.
type headerEdit struct {
	key, value string
	del, call  bool
}

type jsonSetting struct {
	key   string
	value any
}

// secret holds a credential; every way of printing it prints a placeholder.
type secret string

func (s secret) String() string   { return "[REDACTED]" }
func (s secret) GoString() string { return `"[REDACTED]"` }

// Format prints the placeholder for every verb.
func (s secret) Format(f fmt.State, verb rune) { io.WriteString(f, "[REDACTED]") }

// timer is what the runtime needs of a *time.Timer (for the stream idle timeout).
type timer interface {
	Reset(d time.Duration) bool
	Stop() bool
}

type config struct {
	// creds returns the credential set for a security scheme (by its key).
	// Credentials are behind a function so that no fmt verb, and no
	// reflection-based dumper, can reach them.
	creds          func(scheme string) (secret, bool)
	strict         bool
	baseURL        string
	httpClient     *http.Client
	maxRetries     int
	timeout        time.Duration
	headers        []headerEdit
	query          [][2]string
	jsonSet        []jsonSetting
	idempotencyKey string
	responseInto   **http.Response
	logger         *slog.Logger
	// inCall is set while a call's own options are applied.
	inCall bool
	// sleep waits d or until ctx is done; replaced by tests.
	sleep func(ctx context.Context, d time.Duration) error
	// afterFunc starts a timer (attempt timeouts, the stream idle timeout);
	// replaced by tests.
	afterFunc func(d time.Duration, f func()) timer
	// jitter returns a factor in [0.75, 1.0]; replaced by tests.
	jitter func() float64
}

// withCredential returns an option that sets the credential of a scheme.
func withCredential(scheme, value string) Option {
	return func(c *config) {
		prev, v := c.creds, secret(value)
		c.creds = func(s string) (secret, bool) {
			if s == scheme {
				return v, true
			}
			if prev == nil {
				return "", false
			}
			return prev(s)
		}
	}
}

// String prints the configuration without any credential.
func (c config) String() string {
	return fmt.Sprintf("{baseURL:%s maxRetries:%d timeout:%s credentials:%s}", c.baseURL, c.maxRetries, c.timeout, secret(""))
}

// GoString prints the configuration without any credential.
func (c config) GoString() string { return c.String() }

// Format prints the configuration without any credential, whatever the verb
// (fmt cannot call the methods of secret through an unexported field).
func (c config) Format(f fmt.State, verb rune) { io.WriteString(f, c.String()) }
