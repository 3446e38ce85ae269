import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
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

// marshalParams encodes the body fields of a Params struct (its first
// len(fields) fields, in order) as a JSON object under their wire names: a
// required field always, an optional one when it is not zero (nil, unset).
func marshalParams(v any, fields []paramField) ([]byte, error) {
	rv := reflect.ValueOf(v)
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range fields {
		fv := rv.Field(i)
		if !f.required && fv.IsZero() {
			continue
		}
		raw, err := json.Marshal(fv.Interface())
		if err != nil {
			return nil, err
		}
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(f.wire)
		b.Write(k)
		b.WriteByte(':')
		b.Write(raw)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
