package promptrails

import (
	"fmt"
	"net/http"
	"strings"
)

// The errors every call can return. Each is a pointer type usable with
// errors.As; a more specific error unwraps to the more general one, so
// errors.As(err, &statusErr) with statusErr *APIStatusError matches every
// status error, and errors.As(err, &base) with base *Error matches all of them:
//
//	Error                                  base of everything the SDK returns
//	├── APIError                           the server or the network failed the request
//	│   ├── APIConnectionError             no HTTP answer (refused, reset, DNS, TLS)
//	│   │   └── APITimeoutError            connect/read timeout, or a stream idle timeout
//	│   ├── APIStatusError                 an HTTP answer with status >= 400
//	│   │   ├── BadRequestError            400
//	│   │   ├── AuthenticationError        401
//	│   │   ├── PaymentRequiredError       402
//	│   │   ├── PermissionDeniedError      403
//	│   │   ├── NotFoundError              404
//	│   │   ├── ConflictError              409
//	│   │   ├── UnprocessableEntityError   422
//	│   │   ├── RateLimitError             429
//	│   │   └── InternalServerError        >= 500
//	│   ├── APIResponseValidationError     strict mode only (WithStrictValidation): a
//	│   │                                  response or event data does not match the
//	│   │                                  contract
//	│   └── StreamError                    the stream broke its contract: event data that
//	│                                      is not a JSON object, an event over the size
//	│                                      cap, no terminal event even after resuming
//	└── InvalidArgumentError               a bad argument, returned before any request
//
// Connection and timeout errors also unwrap to their cause (a *net.OpError,
// context.DeadlineExceeded, ...). A context cancelled by the caller is returned
// as ctx.Err() itself. No error's message contains the API key, and the request
// an APIStatusError's Response points to has the auth header redacted.

// Error is the base of every error the SDK returns.
type Error struct {
	Message string
}

func (e *Error) Error() string { return e.Message }

// APIError is the base of the errors where the server or the network failed the request.
type APIError struct {
	Message string
}

func (e *APIError) Error() string { return e.Message }

// Unwrap returns the base *Error.
func (e *APIError) Unwrap() error { return &Error{Message: e.Message} }

// APIConnectionError means no HTTP answer arrived: the connection was refused,
// reset or closed early, or DNS or TLS failed.
type APIConnectionError struct {
	Message string
	// Err is the underlying error (a *net.OpError, io.ErrUnexpectedEOF, ...).
	Err error
}

func (e *APIConnectionError) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

// Unwrap returns the parent *APIError and the cause.
func (e *APIConnectionError) Unwrap() []error {
	errs := []error{&APIError{Message: e.Error()}}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// APITimeoutError means a connect or read timeout, or a stream that stayed
// silent longer than the idle timeout.
type APITimeoutError struct {
	*APIConnectionError
}

// Unwrap returns the parent *APIConnectionError.
func (e *APITimeoutError) Unwrap() error { return e.APIConnectionError }

// APIStatusError is an HTTP answer with a status >= 400.
type APIStatusError struct {
	StatusCode int
	// Code is the machine-readable error code of the body, such as "not_found".
	Code string
	// Message is the human-readable message of the body.
	Message string
	// Details holds more about the error, such as the offending field.
	Details map[string]any
	// RequestID is the X-Request-ID response header.
	RequestID string
	// Response is the raw response; its body was read into Body. The request it
	// points to has the auth header redacted.
	Response *http.Response
	// Body is the raw response body.
	Body []byte
}

func (e *APIStatusError) Error() string {
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

// Unwrap returns the parent *APIError.
func (e *APIStatusError) Unwrap() error { return &APIError{Message: e.Error()} }

// BadRequestError is a 400 answer.
type BadRequestError struct{ *APIStatusError }

// AuthenticationError is a 401 answer.
type AuthenticationError struct{ *APIStatusError }

// PaymentRequiredError is a 402 answer.
type PaymentRequiredError struct{ *APIStatusError }

// PermissionDeniedError is a 403 answer.
type PermissionDeniedError struct{ *APIStatusError }

// NotFoundError is a 404 answer.
type NotFoundError struct{ *APIStatusError }

// ConflictError is a 409 answer.
type ConflictError struct{ *APIStatusError }

// UnprocessableEntityError is a 422 answer.
type UnprocessableEntityError struct{ *APIStatusError }

// RateLimitError is a 429 answer.
type RateLimitError struct{ *APIStatusError }

// InternalServerError is a 5xx answer.
type InternalServerError struct{ *APIStatusError }

// Unwrap returns the parent *APIStatusError.
func (e *BadRequestError) Unwrap() error { return e.APIStatusError }

// Unwrap returns the parent *APIStatusError.
func (e *AuthenticationError) Unwrap() error { return e.APIStatusError }

// Unwrap returns the parent *APIStatusError.
func (e *PaymentRequiredError) Unwrap() error { return e.APIStatusError }

// Unwrap returns the parent *APIStatusError.
func (e *PermissionDeniedError) Unwrap() error { return e.APIStatusError }

// Unwrap returns the parent *APIStatusError.
func (e *NotFoundError) Unwrap() error { return e.APIStatusError }

// Unwrap returns the parent *APIStatusError.
func (e *ConflictError) Unwrap() error { return e.APIStatusError }

// Unwrap returns the parent *APIStatusError.
func (e *UnprocessableEntityError) Unwrap() error { return e.APIStatusError }

// Unwrap returns the parent *APIStatusError.
func (e *RateLimitError) Unwrap() error { return e.APIStatusError }

// Unwrap returns the parent *APIStatusError.
func (e *InternalServerError) Unwrap() error { return e.APIStatusError }

// StreamError means a stream broke its contract: a known event whose data is
// not a JSON object, an event over the size cap, or no terminal event even
// after resuming; in strict mode also event data that does not match the
// contract (Err is then the *APIResponseValidationError).
type StreamError struct {
	Message string
	// Data is the raw data of the offending event, if there is one.
	Data string
	// Event is the event that failed the run (an error event), when a helper
	// aggregating a stream reports it as an error.
	Event Event
	// Err is the cause, if there is one.
	Err error
}

func (e *StreamError) Error() string { return e.Message }

// Unwrap returns the parent *APIError, and the cause if there is one.
func (e *StreamError) Unwrap() []error {
	errs := []error{&APIError{Message: e.Message}}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// APIResponseValidationError means a response, or the data of an event, does
// not match the contract; it is returned only by a client made with
// WithStrictValidation (by default the SDK reads what it can, see JSONField).
type APIResponseValidationError struct {
	// StatusCode is the status of the response.
	StatusCode int
	// Path is where the first mismatch is, such as "data.status" or
	// "data[2].role" ("" for the value itself).
	Path string
	// Reason says what is wrong there.
	Reason string
	// Response is the raw response (the request it points to has the auth
	// header redacted); Body is its body, or the event's data.
	Response *http.Response
	Body     []byte
}

func (e *APIResponseValidationError) Error() string {
	where := ""
	if e.Path != "" {
		where = " at " + e.Path
	}
	return fmt.Sprintf("the %d response does not match the API contract%s: %s", e.StatusCode, where, e.Reason)
}

// Unwrap returns the parent *APIError.
func (e *APIResponseValidationError) Unwrap() error { return &APIError{Message: e.Error()} }

// InvalidArgumentError is a bad argument, returned before any request is sent.
type InvalidArgumentError struct {
	// Argument names the offending argument.
	Argument string
	Message  string
}

func (e *InvalidArgumentError) Error() string { return e.Message }

// Unwrap returns the base *Error.
func (e *InvalidArgumentError) Unwrap() error { return &Error{Message: e.Message} }

func invalidArgument(arg, format string, args ...any) error {
	return &InvalidArgumentError{Argument: arg, Message: fmt.Sprintf(format, args...)}
}

// newStatusError builds the typed error of a >= 400 answer whose body was
// read. The body is read as every server shape has it: {"error": {"code",
// "message", "details"}}, {"error": "text"}, {"message": "text"}; any other
// body (not JSON, or none of these) leaves the message to the status line's
// reason phrase, and the raw body stays in Body.
func newStatusError(resp *http.Response, body []byte) error {
	base := &APIStatusError{
		StatusCode: resp.StatusCode,
		RequestID:  resp.Header.Get("X-Request-ID"),
		Response:   resp,
		Body:       body,
		Message:    reasonPhrase(resp),
	}
	if o, err := readObject(string(body), errorBodyShape, false); err == nil {
		var e errorDetail
		switch v := o.vals[0]; {
		case v == "":
		case v[0] == '"':
			if msg, ok := parseString(v); ok && msg != "" {
				base.Message = msg
			}
		case v[0] == '{':
			if e.decodeJSON(v, true) == nil {
				if e.Message != "" {
					base.Message = e.Message
				}
				base.Code, base.Details = e.Code, e.Details
			}
		}
		if msg, ok := parseString(o.vals[1]); ok && msg != "" && o.vals[0] == "" {
			base.Message = msg
		}
	}
	switch s := resp.StatusCode; {
	case s == 400:
		return &BadRequestError{base}
	case s == 401:
		return &AuthenticationError{base}
	case s == 402:
		return &PaymentRequiredError{base}
	case s == 403:
		return &PermissionDeniedError{base}
	case s == 404:
		return &NotFoundError{base}
	case s == 409:
		return &ConflictError{base}
	case s == 422:
		return &UnprocessableEntityError{base}
	case s == 429:
		return &RateLimitError{base}
	case s >= 500:
		return &InternalServerError{base}
	}
	return base
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
