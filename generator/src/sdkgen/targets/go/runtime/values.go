import (
	"encoding/json"
	"fmt"
	"reflect"
	"unicode/utf8"
)

// String returns a pointer to v, for optional string parameters.
func String(v string) *string { return &v }

// Int returns a pointer to v, for optional integer parameters.
func Int(v int64) *int64 { return &v }

// Float returns a pointer to v, for optional number parameters.
func Float(v float64) *float64 { return &v }

// Bool returns a pointer to v, for optional boolean parameters.
func Bool(v bool) *bool { return &v }

// Ptr returns a pointer to v.
func Ptr[T any](v T) *T { return &v }

// Nullable is an optional request field that may also be sent as JSON null:
// its zero value is left out of the request, NewNullable(v) sends v and
// Null[T]() sends null (to clear a value).
type Nullable[T any] struct {
	value T
	set   bool
	null  bool
}

// NewNullable returns a Nullable that sends v.
func NewNullable[T any](v T) Nullable[T] { return Nullable[T]{value: v, set: true} }

// Null returns a Nullable that sends JSON null.
func Null[T any]() Nullable[T] { return Nullable[T]{set: true, null: true} }

// IsZero reports whether the field is left out (for the omitzero JSON option).
func (n Nullable[T]) IsZero() bool { return !n.set }

// IsNull reports whether the field is sent as null.
func (n Nullable[T]) IsNull() bool { return n.set && n.null }

// Get returns the value, and whether there is one (set and not null).
func (n Nullable[T]) Get() (T, bool) { return n.value, n.set && !n.null }

// MarshalJSON encodes the value, or null.
func (n Nullable[T]) MarshalJSON() ([]byte, error) {
	if !n.set || n.null {
		return []byte("null"), nil
	}
	return json.Marshal(n.value)
}

// UnmarshalJSON decodes a value or null.
func (n *Nullable[T]) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		*n = Null[T]()
		return nil
	}
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	*n = NewNullable(v)
	return nil
}

// String prints the value, "null" or "<unset>".
func (n Nullable[T]) String() string {
	switch {
	case !n.set:
		return "<unset>"
	case n.null:
		return "null"
	}
	return fmt.Sprint(n.value)
}

// valueOr returns *p, or d when p is nil.
func valueOr[T any](p *T, d T) T {
	if p == nil {
		return d
	}
	return *p
}

// paramField is a body field of a Params struct: its wire name, and whether
// it is sent when zero (a required field).
type paramField struct {
	wire     string
	required bool
}

// marshalParams encodes the body fields of a Params struct (v: the struct
// or a pointer to it; its first len(fields) fields, in order) as a JSON
// object under their wire names: a required field always, an optional one
// when it is not zero (nil, unset). The output is what encoding/json writes
// (strings escaped as it escapes them, HTML characters included).
func marshalParams(v any, fields []paramField) ([]byte, error) {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		rv = rv.Elem()
	}
	b := make([]byte, 0, 64)
	b = append(b, '{')
	for i, f := range fields {
		fv := rv.Field(i)
		if !f.required && fv.IsZero() {
			continue
		}
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = appendJSONString(b, f.wire)
		b = append(b, ':')
		if fv.Kind() == reflect.String && !fv.Type().Implements(marshalerType) {
			b = appendJSONString(b, fv.String())
			continue
		}
		raw, err := json.Marshal(fv.Interface())
		if err != nil {
			return nil, err
		}
		b = append(b, raw...)
	}
	return append(b, '}'), nil
}

var marshalerType = reflect.TypeFor[json.Marshaler]()

// paramsEncoder is implemented by the generated Params structs whose body is
// their fields: the request body is encoded without a round through
// encoding/json (which would check and copy the output again).
type paramsEncoder interface {
	encodeParams() ([]byte, error)
}

// appendJSONString appends s as a JSON string, escaped exactly as
// encoding/json escapes it: quotes, backslashes and control characters
// (\b \f \n \r \t, else \u00XX), <, > and & (\u003c...), U+2028 and U+2029, and
// each byte of invalid UTF-8 as \ufffd.
func appendJSONString(dst []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
