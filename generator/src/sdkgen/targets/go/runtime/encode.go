import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/textproto"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
)

// Encoding requests: bodies (JSON, form, multipart, raw), query and header
// parameters in the styles OpenAPI describes.

// filePart is a file field of a multipart body.
type filePart struct {
	field  string
	reader io.Reader
}

// encodeBody encodes the request's body into p, with its Content-Type.
func encodeBody(r *request, cfg *config, p *prepared) error {
	if r.noBody {
		return nil // a resume request: the call's body options are not its
	}
	sets := append(append([]jsonSetting(nil), r.bodySet...), cfg.jsonSet...)
	switch r.bodyKind {
	case "", bodyJSON:
		if r.body == nil && len(sets) == 0 {
			return nil
		}
		b := []byte("{}")
		if r.body != nil {
			var err error
			if pe, ok := r.body.(paramsEncoder); ok {
				b, err = pe.encodeParams()
			} else {
				b, err = json.Marshal(r.body)
			}
			if err != nil {
				return invalidArgument("params", "cannot encode the request body: %v", err)
			}
		}
		for _, s := range sets {
			var err error
			if b, err = setJSON(b, strings.Split(s.key, "."), s.value); err != nil {
				return invalidArgument("params", "cannot set %q in the request body: %v", s.key, err)
			}
		}
		p.body = b
		p.fixed[0] = "application/json"
		p.header["Content-Type"] = p.fixed[0:1:1]
	case bodyForm:
		if len(cfg.jsonSet) > 0 {
			return invalidArgument("params", "WithJSONSet: the request body is a form, not JSON")
		}
		pairs, err := formPairs(r.body, r.bodySet)
		if err != nil {
			return err
		}
		var b strings.Builder
		for i, kv := range pairs {
			if i > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(kv[0]) + "=" + url.QueryEscape(kv[1]))
		}
		p.body = []byte(b.String())
		p.header.Set("Content-Type", "application/x-www-form-urlencoded")
	case bodyMultipart:
		if len(cfg.jsonSet) > 0 {
			return invalidArgument("params", "WithJSONSet: the request body is multipart, not JSON")
		}
		pairs, err := multipartPairs(r.body, r.bodySet)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		for _, kv := range pairs {
			if err := w.WriteField(kv[0], kv[1]); err != nil {
				return invalidArgument("params", "cannot encode the multipart body: %v", err)
			}
		}
		for _, f := range r.files {
			h := textproto.MIMEHeader{}
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, escapeQuotes(f.field), escapeQuotes(fileName(f))))
			h.Set("Content-Type", "application/octet-stream")
			part, err := w.CreatePart(h)
			if err == nil {
				_, err = io.Copy(part, f.reader)
			}
			if err != nil {
				return invalidArgument(f.field, "cannot read the file %s: %v", f.field, err)
			}
		}
		if err := w.Close(); err != nil {
			return invalidArgument("params", "cannot encode the multipart body: %v", err)
		}
		p.body = buf.Bytes()
		p.header.Set("Content-Type", w.FormDataContentType())
	case bodyRaw:
		if len(cfg.jsonSet) > 0 {
			return invalidArgument("params", "WithJSONSet: the request body is not JSON")
		}
		if r.rawBody == nil {
			return nil
		}
		b, err := io.ReadAll(r.rawBody)
		if err != nil {
			return invalidArgument("body", "cannot read the request body: %v", err)
		}
		p.body = b
		p.header.Set("Content-Type", r.contentType)
	}
	return nil
}

func escapeQuotes(s string) string {
	return strings.NewReplacer("\\", "\\\\", `"`, "\\\"", "\r", "", "\n", "").Replace(s)
}

// fileName is the file name sent with a file part: the base name of an
// *os.File (anything with a Name method), else the field's name.
func fileName(f filePart) string {
	if n, ok := f.reader.(interface{ Name() string }); ok && n.Name() != "" {
		return filepath.Base(n.Name())
	}
	return f.field
}

// setJSON sets the key at path in the JSON object raw (making the objects on
// its way), keeping the order of the other keys.
func setJSON(raw []byte, path []string, value any) ([]byte, error) {
	if len(raw) == 0 || string(raw) == "null" {
		raw = []byte("{}")
	}
	o, err := readObject(string(raw), &objectShape{flatten: -1}, false)
	if err != nil {
		return nil, err
	}
	var v []byte
	if len(path) == 1 {
		if v, err = json.Marshal(value); err != nil {
			return nil, err
		}
	} else {
		var inner []byte
		for _, m := range o.extra {
			if m.key == path[0] {
				inner = []byte(m.val)
			}
		}
		if inner != nil && (len(bytes.TrimSpace(inner)) == 0 || bytes.TrimSpace(inner)[0] != '{') {
			inner = nil // not an object: replaced by one
		}
		if v, err = setJSON(inner, path[1:], value); err != nil {
			return nil, err
		}
	}
	var b bytes.Buffer
	b.WriteByte('{')
	set := false
	for _, m := range o.extra {
		if m.key == path[0] {
			if set {
				continue
			}
			m.val, set = string(v), true
		}
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(m.key)
		b.Write(k)
		b.WriteByte(':')
		b.WriteString(m.val)
	}
	if !set {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(path[0])
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// bodyJSONOf encodes a form or multipart body's value as JSON, with the
// keys the method sets itself.
func bodyJSONOf(body any, sets []jsonSetting) (string, error) {
	b := []byte("{}")
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			return "", invalidArgument("params", "cannot encode the request body: %v", err)
		}
	}
	for _, s := range sets {
		var err error
		if b, err = setJSON(b, []string{s.key}, s.value); err != nil {
			return "", invalidArgument("params", "cannot encode the request body: %v", err)
		}
	}
	return string(b), nil
}

// formPairs are the fields of a form body: nested objects and lists in
// bracket (deepObject) form, a[b]=1 and a[0]=x; null as an empty value.
func formPairs(body any, sets []jsonSetting) ([][2]string, error) {
	raw, err := bodyJSONOf(body, sets)
	if err != nil {
		return nil, err
	}
	var out [][2]string
	o, _ := readObject(raw, &objectShape{flatten: -1}, true)
	for _, m := range o.extra {
		deepPairs(m.key, m.val, &out)
	}
	return out, nil
}

func deepPairs(name, raw string, out *[][2]string) {
	switch raw[0] {
	case '{':
		o, _ := readObject(raw, &objectShape{flatten: -1}, true)
		for _, m := range o.extra {
			deepPairs(name+"["+m.key+"]", m.val, out)
		}
	case '[':
		for i, item := range arrayItems(raw) {
			deepPairs(name+"["+strconv.Itoa(i)+"]", item, out)
		}
	default:
		*out = append(*out, [2]string{name, scalarText(raw)})
	}
}

// multipartPairs are the text fields of a multipart body: a scalar as its
// text, a list of scalars as one field per item, anything else as JSON.
func multipartPairs(body any, sets []jsonSetting) ([][2]string, error) {
	raw, err := bodyJSONOf(body, sets)
	if err != nil {
		return nil, err
	}
	var out [][2]string
	o, _ := readObject(raw, &objectShape{flatten: -1}, true)
	for _, m := range o.extra {
		switch m.val[0] {
		case '{':
			out = append(out, [2]string{m.key, m.val})
		case '[':
			items := arrayItems(m.val)
			scalars := true
			for _, it := range items {
				if it[0] == '{' || it[0] == '[' {
					scalars = false
				}
			}
			if !scalars {
				out = append(out, [2]string{m.key, m.val})
				continue
			}
			for _, it := range items {
				out = append(out, [2]string{m.key, scalarText(it)})
			}
		case 'n':
		default:
			out = append(out, [2]string{m.key, scalarText(m.val)})
		}
	}
	return out, nil
}

// scalarText is the text of a JSON scalar: a string's contents, "" for
// null, any other value as written.
func scalarText(raw string) string {
	if raw == "null" {
		return ""
	}
	if s, ok := parseString(raw); ok {
		return s
	}
	return raw
}

// How a query parameter's explode is given: as the spec says, or its default
// (true for the form style, false for the others).
const (
	explodeDefault = iota
	explodeYes
	explodeNo
)

// addQuery adds a query parameter of any type in the style the spec gives
// (form, spaceDelimited, pipeDelimited, deepObject; "" is form).
func addQuery(q url.Values, name, style string, explode int, value any) error {
	b, err := json.Marshal(value)
	if err != nil {
		return invalidArgument(name, "cannot encode %s: %v", name, err)
	}
	raw := string(b)
	if style == "" {
		style = "form"
	}
	ex := explode == explodeYes || (explode == explodeDefault && style == "form")
	switch raw[0] {
	case '[':
		items := arrayItems(raw)
		if style == "deepObject" {
			for _, it := range items {
				q.Add(name+"[]", scalarText(it))
			}
			return nil
		}
		if ex {
			for _, it := range items {
				q.Add(name, scalarText(it))
			}
			return nil
		}
		sep := map[string]string{"spaceDelimited": " ", "pipeDelimited": "|"}[style]
		if sep == "" {
			sep = ","
		}
		texts := make([]string, len(items))
		for i, it := range items {
			texts[i] = scalarText(it)
		}
		q.Add(name, strings.Join(texts, sep))
	case '{':
		if style == "deepObject" {
			var pairs [][2]string
			deepPairs(name, raw, &pairs)
			for _, kv := range pairs {
				q.Add(kv[0], kv[1])
			}
			return nil
		}
		o, _ := readObject(raw, &objectShape{flatten: -1}, true)
		var flat []string
		for _, m := range o.extra {
			if ex {
				q.Add(m.key, scalarText(m.val))
			} else {
				flat = append(flat, m.key, scalarText(m.val))
			}
		}
		if !ex {
			q.Add(name, strings.Join(flat, ","))
		}
	default:
		q.Add(name, scalarText(raw))
	}
	return nil
}

// paramString formats a path or header parameter value (simple style: a
// list joined with commas, an object as key,value pairs).
func paramString(value any) string {
	switch v := value.(type) {
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	b, err := json.Marshal(value)
	if err != nil {
		return fmt.Sprint(value)
	}
	raw := string(b)
	switch raw[0] {
	case '[':
		var texts []string
		for _, it := range arrayItems(raw) {
			texts = append(texts, scalarText(it))
		}
		return strings.Join(texts, ",")
	case '{':
		o, _ := readObject(raw, &objectShape{flatten: -1}, true)
		var flat []string
		for _, m := range o.extra {
			flat = append(flat, m.key, scalarText(m.val))
		}
		return strings.Join(flat, ",")
	}
	return scalarText(raw)
}
