import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Reading responses (RUNTIME.md, "Reading responses").
//
// Every model and event of this package is read tolerantly: a response that
// is usable is never refused because a field has another shape than the
// contract says. A field's Go type is T, or *T when the contract lets the
// server send null (nil then means null or absent). Whatever the type, the
// model's JSON metadata says what the server sent for each field:
//
//	reply.JSON.Content.IsPresent()   // the key was there (null included)
//	reply.JSON.Content.IsNull()      // it was null
//	reply.JSON.Content.IsInvalid()   // its value had another JSON type: the field reads as absent
//	reply.JSON.Content.Raw()         // its raw JSON, "" when absent
//	reply.ExtraFields()              // the fields the contract does not name, and those of another type
//	reply.RawJSON()                  // the whole object as received
//
// An unknown enum value is kept as its string (IsKnown reports it). Only what
// makes a response unusable is an error: a body that is not JSON, a value that
// must be an object and is not (an envelope's data, a list item, an event's
// data), a page with no data list. WithStrictValidation turns any mismatch
// with the contract into an *APIResponseValidationError.

// JSONField is what the server sent for one field of a model.
type JSONField struct {
	raw    string
	status fieldStatus
}

type fieldStatus uint8

const (
	fieldAbsent  fieldStatus = iota // the key was not there
	fieldNull                       // null
	fieldInvalid                    // a value of another type than the field's
	fieldValid                      // a value the field holds
)

// IsPresent reports whether the server sent the field (null included).
func (f JSONField) IsPresent() bool { return f.status != fieldAbsent }

// IsNull reports whether the server sent null.
func (f JSONField) IsNull() bool { return f.status == fieldNull }

// IsInvalid reports whether the server sent a value the field cannot hold (of
// another JSON type): the field holds its zero value, Raw the value.
func (f JSONField) IsInvalid() bool { return f.status == fieldInvalid }

// Valid reports whether the server sent a value, not null, that the field holds.
func (f JSONField) Valid() bool { return f.status == fieldValid }

// Raw returns the field's raw JSON as received, "" when it was absent.
func (f JSONField) Raw() string { return f.raw }

// String returns the raw JSON, or "<absent>".
func (f JSONField) String() string {
	if f.status == fieldAbsent {
		return "<absent>"
	}
	return f.raw
}

// jsonObject is what every model's JSON metadata holds besides its fields:
// the object as received and the fields the contract does not name.
type jsonObject struct {
	raw   string
	extra map[string]JSONField
}

// jsonDecoder is implemented by every generated model and event: it decodes
// a JSON object held in a string, tolerantly; valid says raw is known to be
// valid JSON (a part of a document already checked), so it is not checked
// again: decoding nested objects stays linear in the size of the document.
type jsonDecoder interface {
	decodeJSON(raw string, valid bool) error
}

var jsonDecoderType = reflect.TypeFor[jsonDecoder]()

// notObjectError is a valid JSON value that is not the object a model reads.
type notObjectError struct{ got string }

func (e *notObjectError) Error() string { return "the data is " + e.got + ", not an object" }

// notJSONError is data that is not JSON at all.
type notJSONError struct{ err error }

func (e *notJSONError) Error() string { return "invalid JSON: " + e.err.Error() }
func (e *notJSONError) Unwrap() error { return e.err }

// checkJSON reports whether raw is one valid JSON value.
func checkJSON(raw string) error {
	if json.Valid([]byte(raw)) {
		return nil
	}
	var v json.RawMessage
	err := json.Unmarshal([]byte(raw), &v)
	if err == nil {
		err = errors.New("invalid JSON")
	}
	return &notJSONError{err}
}

// jsonType names the JSON type of a valid raw value, as error messages say it.
func jsonType(raw string) string {
	raw = strings.TrimLeft(raw, " \t\r\n")
	if raw == "" {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// ---- Reading one object ----------------------------------------------------

// objectReader is one JSON object as a model reads it: the raw value of each
// field its shape declares (after the declared normalisations), and the
// members it does not declare. Values are substrings of raw: nothing is
// copied.
type objectReader struct {
	raw   string
	shape *objectShape
	vals  []string // by declared field: the raw value, "" when absent
	extra []member // the members no field declares, in order
}

type member struct{ key, val string }

// readObject reads the JSON object in raw (which must be valid JSON: a
// *notJSONError otherwise, checked unless valid says it is known to be, and a
// *notObjectError for any other value) for the given shape, then applies its
// normalisations: x-sdk-flatten (the keys of the named object property fill
// in the keys the object lacks), then x-sdk-aliases (a field that is absent
// reads the first of its aliases that is present).
func readObject(raw string, shape *objectShape, valid bool) (*objectReader, error) {
	o, err := scanObject(raw, shape, make([]string, len(shape.fields)), valid)
	if err != nil {
		return nil, err
	}
	return &o, nil
}

// scanObject is readObject returning the reader by value, its values in vals
// (len(shape.fields) of them, all ""): the generated decoders keep both in
// local variables, so reading an object allocates nothing but what it
// cannot avoid (the members no field declares).
func scanObject(raw string, shape *objectShape, vals []string, valid bool) (objectReader, error) {
	if !valid {
		if err := checkJSON(raw); err != nil {
			return objectReader{}, err
		}
	}
	o := objectReader{raw: raw, shape: shape, vals: vals}
	extra, err := scanMembers(raw, shape, o.vals, nil)
	if err != nil {
		return objectReader{}, err
	}
	o.extra = extra
	if shape.flatten >= 0 {
		if inner := o.vals[shape.flatten]; inner != "" && inner[0] == '{' {
			// The inner object's keys fill in what the outer one lacks.
			in := &objectReader{vals: make([]string, len(shape.fields))}
			if in.extra, err = scanMembers(inner, shape, in.vals, nil); err != nil {
				return objectReader{}, err
			}
			for j, v := range in.vals {
				if o.vals[j] == "" {
					o.vals[j] = v
				}
			}
			outer := len(o.extra)
			for _, e := range in.extra {
				if !slices.ContainsFunc(o.extra[:outer], func(m member) bool { return m.key == e.key }) {
					o.extra = append(o.extra, e)
				}
			}
		}
	}
	if shape.aliased {
		present := make([]bool, len(o.vals))
		for i, v := range o.vals {
			present[i] = v != ""
		}
		for i, f := range shape.fields {
			for _, alias := range f.aliases {
				if present[i] {
					break
				}
				if v, ok := o.lookup(shape, alias, present); ok {
					o.vals[i] = v
					break
				}
			}
		}
	}
	return o, nil
}

// lookup returns the raw value of key as the object had it before aliases
// were applied.
func (o *objectReader) lookup(shape *objectShape, key string, present []bool) (string, bool) {
	if j := shape.index(key, 0); j >= 0 {
		return o.vals[j], present[j]
	}
	for k := len(o.extra) - 1; k >= 0; k-- {
		if o.extra[k].key == key {
			return o.extra[k].val, true
		}
	}
	return "", false
}

// scanMembers records the members of the object in s (valid JSON): the
// declared ones in vals, the others appended to extra, which it returns; of
// duplicate keys the last wins, as in encoding/json. (A function, not a method
// storing into a reader: a reader and its values stay where the caller keeps
// them, on the stack for the generated decoders.)
func scanMembers(s string, shape *objectShape, vals []string, extra []member) ([]member, error) {
	i := skipSpace(s, 0)
	if s[i] != '{' {
		return nil, &notObjectError{got: jsonType(s)}
	}
	hint := 0
	i = skipSpace(s, i+1)
	for s[i] != '}' {
		end, escaped := stringEnd(s, i)
		key := s[i+1 : end-1]
		if escaped || !utf8.ValidString(key) {
			// As encoding/json reads it: escapes decoded, invalid UTF-8 replaced.
			// (Into a variable of its own: one whose address is taken lives on
			// the heap, and only this rare case should pay for it.)
			var decoded string
			if err := json.Unmarshal([]byte(s[i:end]), &decoded); err != nil {
				return nil, &notJSONError{err}
			}
			key = decoded
		}
		i = skipSpace(s, end)
		i = skipSpace(s, i+1) // the colon
		vend := valueEnd(s, i)
		val := s[i:vend]
		if j := shape.index(key, hint); j >= 0 {
			hint = j + 1
			vals[j] = val
		} else {
			extra = append(extra, member{key, val})
		}
		i = skipSpace(s, vend)
		if s[i] == ',' {
			i = skipSpace(s, i+1)
		}
	}
	return extra, nil
}

// meta returns the object's own metadata: its raw JSON and its extra fields
// (a later duplicate key wins, as in encoding/json). fields are the declared
// fields' metadata once decoded, in shape order: a field whose value had
// another type than the field's is an extra field too, as RUNTIME.md has it
// ("the raw value stays reachable where unknown fields are").
//
// raw is the object's JSON (o.raw, given apart so that no pointer of the
// reader itself reaches the result: the values a generated decoder keeps on
// its stack stay there).
func (o *objectReader) meta(raw string, fields ...JSONField) jsonObject {
	m := jsonObject{raw: raw}
	for i, f := range fields {
		if f.status == fieldInvalid {
			if m.extra == nil {
				m.extra = map[string]JSONField{}
			}
			m.extra[o.shape.fields[i].wire] = f
		}
	}
	if len(o.extra) > 0 {
		if m.extra == nil {
			m.extra = make(map[string]JSONField, len(o.extra))
		}
		for _, e := range o.extra {
			m.extra[e.key] = rawField(e.val)
		}
	}
	return m
}

// rawField is the metadata of a member whose value is not decoded.
func rawField(raw string) JSONField {
	if raw == "null" {
		return JSONField{raw: raw, status: fieldNull}
	}
	return JSONField{raw: raw, status: fieldValid}
}

// field returns the raw value of declared field i and records it in meta;
// ok is false when there is nothing to decode (absent or null).
func (o *objectReader) field(i int, meta *JSONField) (raw string, ok bool) {
	raw = o.vals[i]
	*meta = JSONField{raw: raw}
	switch raw {
	case "":
		return "", false
	case "null":
		meta.status = fieldNull
		return "", false
	}
	meta.status = fieldInvalid // until decoded
	return raw, true
}

func skipSpace(s string, i int) int {
	for i < len(s) {
		switch s[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// stringEnd returns the index after the string literal at s[i] ('"'), and
// whether it has an escape.
func stringEnd(s string, i int) (int, bool) {
	escaped := false
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			return j + 1, escaped
		}
	}
	return len(s), escaped
}

// valueEnd returns the index after the value at s[i] of valid JSON.
func valueEnd(s string, i int) int {
	depth := 0
	for i < len(s) {
		switch c := s[i]; c {
		case '"':
			i, _ = stringEnd(s, i)
			if depth == 0 {
				return i
			}
		case '{', '[':
			depth++
			i++
		case '}', ']':
			if depth == 0 {
				return i
			}
			depth--
			i++
			if depth == 0 {
				return i
			}
		case ',', ' ', '\t', '\n', '\r':
			if depth == 0 {
				return i
			}
			i++
		default:
			i++
		}
	}
	return i
}

// arrayItems returns the raw items of the JSON array in s (valid JSON).
func arrayItems(s string) []string {
	var items []string
	i := skipSpace(s, skipSpace(s, 0)+1)
	for i < len(s) && s[i] != ']' {
		end := valueEnd(s, i)
		items = append(items, s[i:end])
		i = skipSpace(s, end)
		if i < len(s) && s[i] == ',' {
			i = skipSpace(s, i+1)
		}
	}
	return items
}

// ---- Decoding fields, tolerantly ---------------------------------------------

// plainString returns the contents of a string literal with no escape and
// valid UTF-8 (what encoding/json would decode to the same bytes).
func plainString(raw string) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || strings.IndexByte(raw[1:len(raw)-1], '\\') >= 0 {
		return "", false
	}
	s := raw[1 : len(raw)-1]
	return s, utf8.ValidString(s)
}

func parseString(raw string) (string, bool) {
	if s, ok := plainString(raw); ok {
		return s, true
	}
	var s string
	if raw == "" || raw[0] != '"' || json.Unmarshal([]byte(raw), &s) != nil {
		return "", false
	}
	return s, true
}

// parseInt reads a JSON number that is an integer (1.0 and 1e2 are, as in
// JSON Schema) and fits in an int64.
func parseInt(raw string) (int64, bool) {
	if n, err := strconv.ParseInt(raw, 10, 64); err == nil {
		return n, true
	}
	f, ok := parseFloat(raw)
	if !ok || f != math.Trunc(f) || f < math.MinInt64 || f >= math.MaxInt64 {
		return 0, false
	}
	return int64(f), true
}

func parseFloat(raw string) (float64, bool) {
	if raw == "" || (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) {
		return 0, false
	}
	f, err := strconv.ParseFloat(raw, 64)
	return f, err == nil
}

func parseBool(raw string) (bool, bool) {
	switch raw {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

func decodeString[S ~string](o *objectReader, i int, dst *S, meta *JSONField) {
	if raw, ok := o.field(i, meta); ok {
		if v, ok := parseString(raw); ok {
			*dst, meta.status = S(v), fieldValid
		}
	}
}

func decodeStringPtr[S ~string](o *objectReader, i int, dst **S, meta *JSONField) {
	if raw, ok := o.field(i, meta); ok {
		if v, ok := parseString(raw); ok {
			s := S(v)
			*dst, meta.status = &s, fieldValid
		}
	}
}

func decodeInt[I ~int64](o *objectReader, i int, dst *I, meta *JSONField) {
	if raw, ok := o.field(i, meta); ok {
		if v, ok := parseInt(raw); ok {
			*dst, meta.status = I(v), fieldValid
		}
	}
}

func decodeIntPtr[I ~int64](o *objectReader, i int, dst **I, meta *JSONField) {
	if raw, ok := o.field(i, meta); ok {
		if v, ok := parseInt(raw); ok {
			n := I(v)
			*dst, meta.status = &n, fieldValid
		}
	}
}

func decodeFloat(o *objectReader, i int, dst *float64, meta *JSONField) {
	if raw, ok := o.field(i, meta); ok {
		if v, ok := parseFloat(raw); ok {
			*dst, meta.status = v, fieldValid
		}
	}
}

func decodeFloatPtr(o *objectReader, i int, dst **float64, meta *JSONField) {
	if raw, ok := o.field(i, meta); ok {
		if v, ok := parseFloat(raw); ok {
			*dst, meta.status = &v, fieldValid
		}
	}
}

func decodeBool(o *objectReader, i int, dst *bool, meta *JSONField) {
	if raw, ok := o.field(i, meta); ok {
		if v, ok := parseBool(raw); ok {
			*dst, meta.status = v, fieldValid
		}
	}
}

func decodeBoolPtr(o *objectReader, i int, dst **bool, meta *JSONField) {
	if raw, ok := o.field(i, meta); ok {
		if v, ok := parseBool(raw); ok {
			*dst, meta.status = &v, fieldValid
		}
	}
}

// decodeRaw keeps a value of any JSON type as it is.
func decodeRaw(o *objectReader, i int, dst *json.RawMessage, meta *JSONField) {
	if raw, ok := o.field(i, meta); ok {
		*dst, meta.status = json.RawMessage(raw), fieldValid
	}
}

// decodeValue decodes any other type (a model, a list, a map, a date-time); a
// value it cannot hold leaves the zero value.
func decodeValue[T any](o *objectReader, i int, dst *T, meta *JSONField) {
	raw, ok := o.field(i, meta)
	if !ok {
		return
	}
	if decodeInto(raw, dst) == nil {
		meta.status = fieldValid
	} else {
		var zero T
		*dst = zero
	}
}

// decodeInto decodes raw (valid JSON) into dst: a model, or a list, map or
// pointer of models, through the models' own tolerant reader; anything else
// with encoding/json.
func decodeInto(raw string, dst any) error {
	switch d := dst.(type) {
	case jsonDecoder:
		return d.decodeJSON(raw, true)
	case *time.Time:
		return d.UnmarshalJSON([]byte(raw)) // as encoding/json would, without its reflection
	case *map[string]any:
		if emptyObject(raw) {
			*d = map[string]any{}
			return nil
		}
	}
	rv := reflect.ValueOf(dst).Elem()
	t := rv.Type()
	if t.Kind() != reflect.Slice && t.Kind() != reflect.Map && t.Kind() != reflect.Pointer ||
		!reflect.PointerTo(t.Elem()).Implements(jsonDecoderType) {
		return json.Unmarshal([]byte(raw), dst)
	}
	if raw == "null" {
		rv.SetZero()
		return nil
	}
	decode := func(item string) (reflect.Value, error) {
		v := reflect.New(t.Elem())
		if item == "null" {
			return v.Elem(), nil // as encoding/json: a null item is the zero value
		}
		return v.Elem(), v.Interface().(jsonDecoder).decodeJSON(item, true)
	}
	switch {
	case t.Kind() == reflect.Pointer:
		v, err := decode(raw)
		if err != nil {
			return err
		}
		rv.Set(v.Addr())
	case t.Kind() == reflect.Slice && raw[0] == '[':
		items := arrayItems(raw)
		out := reflect.MakeSlice(t, len(items), len(items))
		for i, item := range items {
			v, err := decode(item)
			if err != nil {
				return fmt.Errorf("[%d]: %w", i, err)
			}
			out.Index(i).Set(v)
		}
		rv.Set(out)
	case t.Kind() == reflect.Map && t.Key().Kind() == reflect.String && raw[0] == '{':
		o, _ := readObject(raw, &objectShape{flatten: -1}, true)
		out := reflect.MakeMapWithSize(t, len(o.extra))
		for _, e := range o.extra {
			v, err := decode(e.val)
			if err != nil {
				return fmt.Errorf("%s: %w", e.key, err)
			}
			out.SetMapIndex(reflect.ValueOf(e.key).Convert(t.Key()), v)
		}
		rv.Set(out)
	default:
		return &notObjectError{got: jsonType(raw)} // not the list or map the field holds
	}
	return nil
}

// emptyObject reports whether raw (valid JSON) is {} (spaces allowed).
func emptyObject(raw string) bool {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return false
	}
	i = skipSpace(raw, i+1)
	return i < len(raw) && raw[i] == '}' && skipSpace(raw, i+1) == len(raw)
}

// decodeExtra decodes the extra fields whose values fit V (a model with
// typed additionalProperties); the others stay in its ExtraFields only.
func decodeExtra[V any](o *objectReader) map[string]V {
	var out map[string]V
	for _, e := range o.extra {
		var v V
		if e.val != "null" && decodeInto(e.val, &v) == nil {
			if out == nil {
				out = map[string]V{}
			}
			out[e.key] = v
		}
	}
	return out
}

// jsonText is the text of a value of any JSON type (x-sdk-text): the value
// itself when it is a string, else, when it is an object, the first of keys
// whose value is a string; otherwise "".
func jsonText(raw json.RawMessage, keys ...string) string {
	s := strings.TrimSpace(string(raw))
	if s == "" || checkJSON(s) != nil {
		return ""
	}
	if s[0] != '{' {
		v, _ := parseString(s)
		return v
	}
	shape := &objectShape{flatten: -1}
	for _, k := range keys {
		shape.fields = append(shape.fields, fieldShape{wire: k})
	}
	o, err := readObject(s, shape, true)
	if err != nil {
		return ""
	}
	for _, v := range o.vals {
		if text, ok := parseString(v); ok {
			return text
		}
	}
	return ""
}

// jsonTextOf is jsonText of a value held in another Go type (a map).
func jsonTextOf(v any, keys ...string) string {
	raw, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return jsonText(raw, keys...)
}

// ---- Encoding a model ------------------------------------------------------

// marshalModel encodes a model (v: the model as a struct without methods,
// whose first fields are the declared ones, in shape order; meta: their JSON
// metadata, in the same order) as the server sent it, as far as the values
// were not changed since: a field is written when it holds a value, or, in a
// decoded model, when the server sent it (null as null, a value of another
// type as that value), or, in a model built in code, when it is required.
// The extra fields follow (typed extras first, if the model has some).
func marshalModel(v any, obj jsonObject, shape *objectShape, typedExtra any, meta ...JSONField) ([]byte, error) {
	rv := reflect.ValueOf(v)
	decoded := obj.raw != ""
	var b bytes.Buffer
	b.WriteByte('{')
	written := map[string]bool{}
	write := func(key string, raw []byte) {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(key)
		b.Write(k)
		b.WriteByte(':')
		b.Write(raw)
		written[key] = true
	}
	for i, f := range shape.fields {
		fv, m := rv.Field(i), meta[i]
		switch {
		case !fv.IsZero():
		case m.status == fieldNull:
			write(f.wire, []byte("null"))
			continue
		case m.status == fieldInvalid:
			write(f.wire, []byte(m.raw))
			continue
		case decoded && m.status == fieldValid, !decoded && f.required:
		default:
			continue
		}
		raw, err := json.Marshal(fv.Interface())
		if err != nil {
			return nil, err
		}
		write(f.wire, raw)
	}
	if typedExtra != nil {
		ev := reflect.ValueOf(typedExtra)
		keys := ev.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		for _, k := range keys {
			if written[k.String()] {
				continue
			}
			raw, err := json.Marshal(ev.MapIndex(k).Interface())
			if err != nil {
				return nil, err
			}
			write(k.String(), raw)
		}
	}
	for _, key := range slices.Sorted(maps.Keys(obj.extra)) {
		if !written[key] {
			write(key, []byte(obj.extra[key].raw))
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// ---- The contract, for strict validation ------------------------------------

// shapeTable holds the contract's shape of every model and event data of the
// API, by Go type name: what the strict mode checks, and what the tolerant
// reader needs (wire names, aliases, flatten).
type shapeTable struct {
	objects map[string]*objectShape
	unions  map[string]*unionShape
}

// objectShape is the shape of a JSON object with named fields.
type objectShape struct {
	fields []fieldShape
	// extra is the shape of the values of the properties fields does not name
	// (additionalProperties), nil when they are not checked.
	extra *valueShape
	// flatten is the index of the x-sdk-flatten field, -1 when none.
	flatten int
	// aliased is set when a field has x-sdk-aliases.
	aliased bool
}

// fieldShape is one named field of an objectShape.
type fieldShape struct {
	wire     string
	aliases  []string
	required bool
	value    valueShape
}

// jsonKind is the JSON type a value must have; kindAny checks nothing.
type jsonKind uint8

const (
	kindAny jsonKind = iota
	kindString
	kindInteger
	kindNumber
	kindBoolean
	kindObject // a model (model set) or a map (values set)
	kindArray
)

// valueShape is the shape of one JSON value.
type valueShape struct {
	kind     jsonKind
	nullable bool
	model    string      // kindObject: an object of the shape of that name in the table
	items    *valueShape // kindArray: the items' shape
	values   *valueShape // kindObject without model: the values' shape
	enum     []string    // the allowed values (their raw JSON), nil for any
	union    string      // a oneOf/anyOf of several types: its name in the table (kind is kindAny)
}

// unionShape is the shape of a union: the value matches one of the variants
// (the one its discriminator's value selects, when it has one).
type unionShape struct {
	discriminator string
	tags          map[string]int // discriminator value -> variant
	variants      []valueShape
}

// index returns the position of the field named key, -1 if none; the search
// starts at hint (keys usually come in declaration order).
func (s *objectShape) index(key string, hint int) int {
	n := len(s.fields)
	for k := 0; k < n; k++ {
		j := hint + k
		if j >= n {
			j -= n
		}
		if s.fields[j].wire == key {
			return j
		}
	}
	return -1
}

// mismatch is the first place where a value departs from the contract.
type mismatch struct {
	path, reason string
}

func (m *mismatch) Error() string {
	if m.path == "" {
		return m.reason
	}
	return fmt.Sprintf("%s: %s", m.path, m.reason)
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// check checks the raw JSON object against the shape named name (after the
// declared normalisations): required fields present, JSON types, no null
// where the contract allows none, enum values known, recursively. Unknown
// fields are accepted. It returns the first mismatch, nil if none ("" names
// no shape: nothing to check).
func (t shapeTable) check(path, name, raw string) *mismatch {
	if name == "" {
		return nil
	}
	if err := checkJSON(raw); err != nil {
		return &mismatch{path, err.Error()}
	}
	return t.checkObject(path, name, raw)
}

// checkObject is check of valid JSON.
func (t shapeTable) checkObject(path, name, raw string) *mismatch {
	shape := t.objects[name]
	if shape == nil {
		shape = &objectShape{flatten: -1}
	}
	o, err := readObject(raw, shape, true)
	if err != nil {
		return &mismatch{path, err.Error()}
	}
	for i, f := range shape.fields {
		if o.vals[i] == "" {
			if f.required {
				return &mismatch{joinPath(path, f.wire), "missing required field"}
			}
			continue
		}
		if m := t.checkValue(joinPath(path, f.wire), &f.value, o.vals[i]); m != nil {
			return m
		}
	}
	if shape.extra != nil {
		for _, e := range o.extra {
			if m := t.checkValue(joinPath(path, e.key), shape.extra, e.val); m != nil {
				return m
			}
		}
	}
	return nil
}

func (t shapeTable) checkValue(path string, shape *valueShape, raw string) *mismatch {
	if raw == "null" {
		if shape.nullable || shape.kind == kindAny {
			return nil
		}
		return &mismatch{path, "must not be null"}
	}
	if shape.union != "" {
		if u := t.unions[shape.union]; u != nil {
			return t.checkUnion(path, u, raw)
		}
		return nil
	}
	var ok bool
	switch shape.kind {
	case kindAny:
		return nil
	case kindString:
		_, ok = parseString(raw)
	case kindInteger:
		_, ok = parseInt(raw)
	case kindNumber:
		_, ok = parseFloat(raw)
	case kindBoolean:
		_, ok = parseBool(raw)
	case kindArray:
		if ok = raw[0] == '['; ok && shape.items != nil {
			for i, item := range arrayItems(raw) {
				if m := t.checkValue(fmt.Sprintf("%s[%d]", path, i), shape.items, item); m != nil {
					return m
				}
			}
		}
	case kindObject:
		if raw[0] != '{' {
			break
		}
		if shape.model != "" {
			return t.checkObject(path, shape.model, raw)
		}
		ok = true
		if shape.values != nil {
			o, _ := readObject(raw, &objectShape{flatten: -1}, true)
			for _, e := range o.extra {
				if m := t.checkValue(joinPath(path, e.key), shape.values, e.val); m != nil {
					return m
				}
			}
		}
	}
	if !ok {
		return &mismatch{path, fmt.Sprintf("is %s, not %s", jsonType(raw), kindName(shape.kind))}
	}
	if shape.enum != nil && !slices.Contains(shape.enum, canonical(raw)) {
		return &mismatch{path, fmt.Sprintf("%s is not one of the values the contract lists (%s)", raw, strings.Join(shape.enum, ", "))}
	}
	return nil
}

// checkUnion checks a union value: the variant its discriminator selects, or
// any variant that fits.
func (t shapeTable) checkUnion(path string, u *unionShape, raw string) *mismatch {
	if i, ok := u.pick(raw); ok {
		return t.checkValue(path, &u.variants[i], raw)
	}
	if u.discriminator != "" {
		return &mismatch{joinPath(path, u.discriminator), "does not name a variant the contract lists"}
	}
	var first *mismatch
	for i := range u.variants {
		m := t.checkValue(path, &u.variants[i], raw)
		if m == nil {
			return nil
		}
		if first == nil {
			first = m
		}
	}
	return &mismatch{path, "matches no variant of the union (" + first.Error() + ")"}
}

// pick returns the variant a discriminated union's value selects.
func (u *unionShape) pick(raw string) (int, bool) {
	if u.discriminator == "" || raw == "" || raw[0] != '{' {
		return 0, false
	}
	o, err := readObject(raw, &objectShape{fields: []fieldShape{{wire: u.discriminator}}, flatten: -1}, true)
	if err != nil {
		return 0, false
	}
	tag, ok := parseString(o.vals[0])
	if !ok {
		return 0, false
	}
	i, ok := u.tags[tag]
	return i, ok
}

// fits reports whether a raw value can be the value of a variant: of its JSON
// type, and for an object variant, with every required field the contract
// lists (tolerantly read, a union picks by these, not by every detail).
func (t shapeTable) fits(v *valueShape, raw string) bool {
	if raw == "null" {
		return v.nullable
	}
	switch v.kind {
	case kindAny:
		return true
	case kindObject:
		if raw[0] != '{' {
			return false
		}
		if v.model == "" {
			return true
		}
		shape := t.objects[v.model]
		if shape == nil {
			return true
		}
		o, err := readObject(raw, shape, true)
		if err != nil {
			return false
		}
		for i, f := range shape.fields {
			if f.required && o.vals[i] == "" {
				return false
			}
			if f.value.enum != nil && o.vals[i] != "" && !slices.Contains(f.value.enum, canonical(o.vals[i])) {
				return false // a const or enum field (a tag) with another value
			}
		}
		return true
	}
	return t.checkValue("", v, raw) == nil
}

// canonical returns a string or number value as the enum lists write it.
func canonical(raw string) string {
	if s, ok := parseString(raw); ok {
		b, _ := json.Marshal(s)
		return string(b)
	}
	if n, ok := parseInt(raw); ok {
		return strconv.FormatInt(n, 10)
	}
	return raw
}

func kindName(k jsonKind) string {
	return [...]string{"anything", "a string", "an integer", "a number", "a boolean", "an object", "an array"}[k]
}

// ---- Unions ------------------------------------------------------------------

// unionVariant picks the variant of a union a raw value is: the one its
// discriminator selects (none when it names no variant); without a
// discriminator, the first whose type fits (for an object, with
// the required fields and constant tags of its model); else, for an object,
// the first object variant. -1: none (the value is kept raw only).
func unionVariant(t shapeTable, name, raw string) int {
	u := t.unions[name]
	if u == nil {
		return -1
	}
	if i, ok := u.pick(raw); ok {
		return i
	}
	if u.discriminator != "" {
		return -1 // a value its discriminator does not name (a newer variant): kept raw
	}
	for i := range u.variants {
		if t.fits(&u.variants[i], raw) {
			return i
		}
	}
	if raw != "" && raw[0] == '{' {
		for i, v := range u.variants {
			if v.kind == kindObject {
				return i
			}
		}
	}
	return -1
}

// ---- Values at a path --------------------------------------------------------

// jsonAt returns the raw value at path (object keys and list indexes) in the
// valid JSON raw, and whether there is one (null counts as none).
func jsonAt(raw string, path []any) (string, bool) {
	v := strings.TrimSpace(raw)
	for _, step := range path {
		if v == "" {
			return "", false
		}
		switch s := step.(type) {
		case string:
			if v[0] != '{' {
				return "", false
			}
			o, err := readObject(v, &objectShape{fields: []fieldShape{{wire: s}}, flatten: -1}, true)
			if err != nil {
				return "", false
			}
			v = o.vals[0]
		case int:
			if v[0] != '[' {
				return "", false
			}
			items := arrayItems(v)
			if s < 0 || s >= len(items) {
				return "", false
			}
			v = items[s]
		}
	}
	if v == "" || v == "null" {
		return "", false
	}
	return v, true
}
