package promptrails

import (
	"encoding/json"
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
//	│   └── StreamError                    the stream broke its contract: malformed JSON
//	│                                      in a known event, an event over the size cap,
//	│                                      or no terminal event even after resuming
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

// StreamError means a stream broke its contract: a known event with malformed
// JSON or a data shape that does not match, an event over the size cap, or no
// terminal event even after resuming.
type StreamError struct {
	Message string
	// Data is the raw data of the offending event, if there is one.
	Data string
	// Event is the event that failed the run (an error event), when a helper
	// aggregating a stream reports it as an error.
	Event Event
}

func (e *StreamError) Error() string { return e.Message }

// Unwrap returns the parent *APIError.
func (e *StreamError) Unwrap() error { return &APIError{Message: e.Message} }

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

// newStatusError builds the typed error of a >= 400 answer whose body was read.
func newStatusError(resp *http.Response, body []byte) error {
	base := &APIStatusError{
		StatusCode: resp.StatusCode,
		RequestID:  resp.Header.Get("X-Request-ID"),
		Response:   resp,
		Body:       body,
	}
	var envelope struct {
		Error *struct {
			Code    string         `json:"code"`
			Message string         `json:"message"`
			Details map[string]any `json:"details"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &envelope) == nil && envelope.Error != nil {
		base.Code = envelope.Error.Code
		base.Message = envelope.Error.Message
		base.Details = envelope.Error.Details
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
