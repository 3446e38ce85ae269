import (
	"fmt"
	"net/http"
	"strings"
)

// The kinds of *Error, for errors.Is. Every error the SDK returns is an
// *Error; what it is about is its kind, matched with errors.Is, and its
// details are fields, reached with errors.As:
//
//	_, err := client.Things.Get(ctx, "id")
//	switch {
//	case errors.Is(err, ErrNotFound):          // a 404 answer
//	case errors.Is(err, ErrRateLimited):       // a 429 answer (retried first)
//	case errors.Is(err, ErrTimeout):           // also an ErrConnection
//	}
//	var apiErr *Error
//	if errors.As(err, &apiErr) {
//		fmt.Println(apiErr.StatusCode, apiErr.Code, apiErr.RequestID)
//	}
//
// The kinds, and the broader kinds each one also matches:
//
//	ErrConnection           no HTTP answer (refused, reset, DNS, TLS)
//	  ErrTimeout            a connect or read timeout, or a stream idle timeout
//	ErrStatus               an HTTP answer with a status >= 400
//	  ErrBadRequest         400
//	  ErrAuthentication     401
//	  ErrPaymentRequired    402
//	  ErrPermissionDenied   403
//	  ErrNotFound           404
//	  ErrConflict           409
//	  ErrUnprocessableEntity 422
//	  ErrRateLimited        429
//	  ErrInternalServer     >= 500
//	ErrResponseValidation   strict mode only (WithStrictValidation): a response
//	                        or an event's data does not match the contract
//	ErrStream               the stream broke its contract (event data that is
//	                        not a JSON object, an event over the size cap, no
//	                        end even after resuming), or a helper reading a
//	                        stream to its end met the run's failure event
//	ErrInvalidArgument      a bad argument, returned before any request is sent
//
// A connection error unwraps to its cause (a *net.OpError,
// context.DeadlineExceeded...); a stream error caused by a validation error
// unwraps to it, so errors.Is(err, ErrResponseValidation) holds for both. A
// context cancelled by the caller is returned as ctx.Err() itself. No error's
// text holds the API key, and the request an error's Response points to has
// its credentials redacted.
var (
	ErrConnection          error = &errorKind{name: "connection error"}
	ErrTimeout             error = &errorKind{name: "timeout", parent: ErrConnection}
	ErrStatus              error = &errorKind{name: "status error"}
	ErrBadRequest          error = &errorKind{name: "bad request", status: 400, parent: ErrStatus}
	ErrAuthentication      error = &errorKind{name: "authentication error", status: 401, parent: ErrStatus}
	ErrPaymentRequired     error = &errorKind{name: "payment required", status: 402, parent: ErrStatus}
	ErrPermissionDenied    error = &errorKind{name: "permission denied", status: 403, parent: ErrStatus}
	ErrNotFound            error = &errorKind{name: "not found", status: 404, parent: ErrStatus}
	ErrConflict            error = &errorKind{name: "conflict", status: 409, parent: ErrStatus}
	ErrUnprocessableEntity error = &errorKind{name: "unprocessable entity", status: 422, parent: ErrStatus}
	ErrRateLimited         error = &errorKind{name: "rate limited", status: 429, parent: ErrStatus}
	ErrInternalServer      error = &errorKind{name: "internal server error", status: 500, parent: ErrStatus}
	ErrResponseValidation  error = &errorKind{name: "response validation error"}
	ErrStream              error = &errorKind{name: "stream error"}
	ErrInvalidArgument     error = &errorKind{name: "invalid argument"}
)

// errorKind is the type of the Err* kinds.
type errorKind struct {
	name   string
	status int // the status of a status kind (500: every status >= 500)
	parent error
}

func (k *errorKind) Error() string { return k.name }

// statusKinds are the status kinds, by status.
var statusKinds = []error{ErrBadRequest, ErrAuthentication, ErrPaymentRequired, ErrPermissionDenied,
	ErrNotFound, ErrConflict, ErrUnprocessableEntity, ErrRateLimited}

// kindOfStatus is the most specific kind of an HTTP answer with status s >= 400.
func kindOfStatus(s int) error {
	if s >= 500 {
		return ErrInternalServer
	}
	for _, k := range statusKinds {
		if k.(*errorKind).status == s {
			return k
		}
	}
	return ErrStatus
}

// Error is every error the SDK returns. Kind says what it is about (one of the
// Err* values: match it with errors.Is, which also matches the broader kind);
// the other fields are set when they apply to that kind.
type Error struct {
	// Kind is the most specific kind of the error, such as ErrNotFound.
	Kind error
	// StatusCode is the HTTP status of the answer (ErrStatus; also the status
	// of the response a validation error is about).
	StatusCode int
	// Code is the machine-readable error code of the body, such as "not_found".
	Code string
	// Message is what went wrong: the human-readable message of an error
	// body, or the SDK's description.
	Message string
	// Details holds more about the error, such as the offending field.
	Details map[string]any
	// RequestID is the X-Request-ID header of the answer, "" without one.
	RequestID string
	// Response is the raw response, when there was one; its body was read
	// into Body. The request it points to has its credentials redacted.
	Response *http.Response
	// Body is the raw response body (for a stream, the offending event's data).
	Body []byte
	// Path and Reason say where a response departs from the contract and how
	// (ErrResponseValidation), such as "data.status" and "must not be null".
	Path, Reason string
	// Data is the raw data of the event a stream error is about, "" if none.
	Data string
	// Event is the failure event a helper reading a stream to its end met
	// (ErrStream), nil otherwise.
	Event Event
	// Argument names the offending argument (ErrInvalidArgument).
	Argument string
	// Err is the cause, if there is one (a *net.OpError, a validation error
	// of a stream event...).
	Err error
}

// Error describes the error; a status error reads like
// "404 not_found: Item not found. (request_id: req_1)".
func (e *Error) Error() string {
	if !e.Is(ErrStatus) {
		if e.Err != nil && e.Is(ErrConnection) {
			return e.Message + ": " + e.Err.Error()
		}
		return e.Message
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d", e.StatusCode)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	b.WriteString(":")
	if e.Message != "" {
		b.WriteString(" " + e.Message)
	} else {
		b.WriteString(" " + http.StatusText(e.StatusCode))
	}
	if e.RequestID != "" {
		b.WriteString(" (request_id: " + e.RequestID + ")")
	}
	return b.String()
}

// Is reports whether the error is of kind target, or of a kind target
// includes (every status kind is an ErrStatus, ErrTimeout an ErrConnection).
func (e *Error) Is(target error) bool {
	for k := e.Kind; k != nil; {
		if k == target {
			return true
		}
		ek, ok := k.(*errorKind)
		if !ok {
			return false
		}
		k = ek.parent
	}
	return false
}

// Unwrap returns the cause, if there is one.
func (e *Error) Unwrap() error { return e.Err }

func invalidArgument(arg, format string, args ...any) error {
	return &Error{Kind: ErrInvalidArgument, Argument: arg, Message: fmt.Sprintf(format, args...)}
}

func streamError(format string, args ...any) *Error {
	return &Error{Kind: ErrStream, Message: fmt.Sprintf(format, args...)}
}

func connectionError(message string, cause error) error {
	return &Error{Kind: ErrConnection, Message: message, Err: cause}
}

func timeoutError(message string, cause error) error {
	return &Error{Kind: ErrTimeout, Message: message, Err: cause}
}

// newStatusError builds the error of a >= 400 answer whose body was read.
// The body is read as every server shape has it: {"error": {"code",
// "message", "details"}}, {"error": "text"}, {"message": "text"}; any other
// body (not JSON, or none of these) leaves the message to the status line's
// reason phrase, and the raw body stays in Body.
func newStatusError(resp *http.Response, body []byte) error {
	e := &Error{
		Kind:       kindOfStatus(resp.StatusCode),
		StatusCode: resp.StatusCode,
		RequestID:  resp.Header.Get("X-Request-ID"),
		Response:   resp,
		Body:       body,
		Message:    reasonPhrase(resp),
	}
	if o, err := readObject(string(body), errorBodyShape, false); err == nil {
		var d errorDetail
		switch v := o.vals[0]; {
		case v == "":
		case v[0] == '"':
			if msg, ok := parseString(v); ok && msg != "" {
				e.Message = msg
			}
		case v[0] == '{':
			if d.decodeJSON(v, true) == nil {
				if d.Message != "" {
					e.Message = d.Message
				}
				e.Code, e.Details = d.Code, d.Details
			}
		}
		if msg, ok := parseString(o.vals[1]); ok && msg != "" && o.vals[0] == "" {
			e.Message = msg
		}
	}
	return e
}

// errorBodyShape is how an error body is read: {"error": ...} or {"message": ...}.
var errorBodyShape = &objectShape{fields: []fieldShape{{wire: "error"}, {wire: "message"}}, flatten: -1}

// errorDetail is the object form of an error body's "error".
type errorDetail struct {
	Code    string
	Message string
	Details map[string]any
}

var errorDetailShape = &objectShape{fields: []fieldShape{{wire: "code"}, {wire: "message"}, {wire: "details"}}, flatten: -1}

func (e *errorDetail) decodeJSON(raw string, valid bool) error {
	o, err := readObject(raw, errorDetailShape, valid)
	if err != nil {
		return err
	}
	var meta JSONField
	decodeString(o, 0, &e.Code, &meta)
	decodeString(o, 1, &e.Message, &meta)
	decodeValue(o, 2, &e.Details, &meta)
	return nil
}

// reasonPhrase is the reason phrase of the status line ("Not Found").
func reasonPhrase(resp *http.Response) string {
	if _, reason, ok := strings.Cut(resp.Status, " "); ok && reason != "" {
		return reason
	}
	return http.StatusText(resp.StatusCode)
}
