import (
	"context"
	"fmt"
	"iter"
)

// PageInfo is where a page stands in the whole list, as the list's meta says
// it. The page count comes as pages or total_pages: each reads the other
// when it is absent, so both hold it when
// either was sent. JSON says which fields the server sent.
type PageInfo struct {
	// Total is how many items the whole list holds.
	Total int64 `json:"total"`
	// Page is this page's number, from 1.
	Page int64 `json:"page"`
	// Limit is the most items a page holds.
	Limit int64 `json:"limit"`
	// Pages is how many pages the whole list has.
	Pages int64 `json:"pages"`
	// TotalPages is how many pages the whole list has (the older name).
	TotalPages int64 `json:"total_pages"`

	// JSON says what the server sent for each field.
	JSON struct {
		Total      JSONField
		Page       JSONField
		Limit      JSONField
		Pages      JSONField
		TotalPages JSONField
		jsonObject
	} `json:"-"`
}

var pageInfoShape = &objectShape{
	fields: []fieldShape{
		{wire: "total"}, {wire: "page"}, {wire: "limit"},
		{wire: "pages", aliases: []string{"total_pages"}},
		{wire: "total_pages", aliases: []string{"pages"}},
	},
	flatten: -1,
	aliased: true,
}

func (m *PageInfo) decodeJSON(raw string, valid bool) error {
	o, err := readObject(raw, pageInfoShape, valid)
	if err != nil {
		return err
	}
	*m = PageInfo{}
	decodeInt(o, 0, &m.Total, &m.JSON.Total)
	decodeInt(o, 1, &m.Page, &m.JSON.Page)
	decodeInt(o, 2, &m.Limit, &m.JSON.Limit)
	decodeInt(o, 3, &m.Pages, &m.JSON.Pages)
	decodeInt(o, 4, &m.TotalPages, &m.JSON.TotalPages)
	m.JSON.jsonObject = o.meta(raw, m.JSON.Total, m.JSON.Page, m.JSON.Limit, m.JSON.Pages, m.JSON.TotalPages)
	return nil
}

// UnmarshalJSON reads the meta tolerantly.
func (m *PageInfo) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		return nil
	}
	return m.decodeJSON(string(data), false)
}

// MarshalJSON writes the meta as the server sent it (both page counts when
// it sent either), with the changes made since.
func (m PageInfo) MarshalJSON() ([]byte, error) {
	type plain PageInfo
	j := m.JSON
	return marshalModel(plain(m), j.jsonObject, pageInfoShape, nil, j.Total, j.Page, j.Limit, j.Pages, j.TotalPages)
}

// RawJSON returns the meta as received.
func (m PageInfo) RawJSON() string { return m.JSON.raw }

// ExtraFields returns the fields of the meta the SDK does not name.
func (m PageInfo) ExtraFields() map[string]JSONField { return m.JSON.extra }

// Page is one page of a list.
type Page[T any] struct {
	// Data holds the items of this page.
	Data []T `json:"data"`
	// Meta says where the page stands in the whole list.
	Meta PageInfo `json:"meta"`

	next func(ctx context.Context, page int64) (*Page[T], error)
	// requestID is the X-Request-ID header of the page's response.
	requestID string
	// asked is the page number and limit of the request (the limit the API's
	// default when the call gave none, 0 when unknown).
	askedPage, askedLimit int64
}

// RequestID returns the X-Request-ID header of the page's response ("" without one).
func (p *Page[T]) RequestID() string { return p.requestID }

// number is this page's number: the meta's, else the one asked for.
func (p *Page[T]) number() int64 {
	if p.Meta.JSON.Page.Valid() {
		return p.Meta.Page
	}
	return max(p.askedPage, 1)
}

// HasNextPage reports whether a page follows this one (every key of the meta
// may be absent): while this page is not empty and its number is below the
// page count (pages or total_pages); without a page count but with the total
// and the limit, while the pages so far hold fewer items than the total;
// with neither, while the page came back full (as many items as its limit,
// the one asked for when the meta has none).
func (p *Page[T]) HasNextPage() bool {
	if p == nil || p.next == nil || len(p.Data) == 0 {
		return false
	}
	if p.Meta.JSON.Pages.Valid() {
		return p.number() < p.Meta.Pages
	}
	limit := p.askedLimit
	if p.Meta.JSON.Limit.Valid() && p.Meta.Limit > 0 {
		limit = p.Meta.Limit
	}
	if p.Meta.JSON.Total.Valid() && limit > 0 {
		return p.number()*limit < p.Meta.Total
	}
	return limit > 0 && int64(len(p.Data)) >= limit
}

// GetNextPage fetches the page after this one, with the same parameters; it
// returns nil and no error after the last page.
func (p *Page[T]) GetNextPage(ctx context.Context) (*Page[T], error) {
	if !p.HasNextPage() {
		return nil, nil
	}
	return p.next(ctx, p.number()+1)
}

// getPage sends a list request and reads the page into out: the items under
// items, the page information under meta. itemShape and metaShape are the
// contract's shapes of an item and of the meta, for strict mode.
func getPage[T any](ctx context.Context, c *core, r *request, out *Page[T], items, meta string, itemShape *valueShape, metaShape string) error {
	a, err := c.do(ctx, r)
	if err != nil {
		return err
	}
	shape := &objectShape{fields: []fieldShape{{wire: items, required: true}, {wire: meta}}, flatten: -1}
	o, err := readObject(string(a.body), shape, false)
	if err != nil {
		return unusable(a, "%v", err)
	}
	data, metaRaw := o.vals[0], o.vals[1]
	if data == "" || data[0] != '[' {
		return unusable(a, "it has no %s list", items)
	}
	list := arrayItems(data)
	out.Data = make([]T, len(list))
	for i, item := range list {
		if err := decodeInto(item, &out.Data[i]); err != nil {
			return unusable(a, "%s[%d]: %v", items, i, err)
		}
	}
	if metaRaw != "" && metaRaw[0] == '{' {
		if err := out.Meta.decodeJSON(metaRaw, true); err != nil {
			return unusable(a, "%s: %v", meta, err)
		}
	}
	out.requestID = requestIDOf(a)
	if !a.cfg.strict {
		return nil
	}
	if itemShape != nil {
		for i, item := range list {
			if m := c.settings.shapes.checkValue(fmt.Sprintf("%s[%d]", items, i), itemShape, item); m != nil {
				return invalidResponse(a, m)
			}
		}
	}
	if metaRaw == "" {
		return invalidResponse(a, &mismatch{meta, "missing required field"})
	}
	if m := c.settings.shapes.check(meta, metaShape, metaRaw); m != nil {
		return invalidResponse(a, m)
	}
	return nil
}

// Pager iterates over the items of every page of a list, fetching pages as
// needed:
//
//	for item, err := range pager.All() {
//		if err != nil { ... }
//		...
//	}
//
// or, step by step:
//
//	for pager.Next() {
//		item := pager.Current()
//	}
//	if err := pager.Err(); err != nil { ... }
type Pager[T any] struct {
	ctx   context.Context
	first func(ctx context.Context) (*Page[T], error)
	page  *Page[T]
	index int
	cur   T
	err   error
	done  bool
}

func newPager[T any](ctx context.Context, first func(ctx context.Context) (*Page[T], error)) *Pager[T] {
	return &Pager[T]{ctx: ctx, first: first}
}

// Next advances to the next item; it returns false after the last one or on
// an error (see Err).
func (p *Pager[T]) Next() bool {
	if p.done || p.err != nil {
		return false
	}
	for {
		if p.page == nil {
			p.page, p.err = p.first(p.ctx)
			if p.err != nil {
				return false
			}
			p.index = 0
		}
		if p.index < len(p.page.Data) {
			p.cur = p.page.Data[p.index]
			p.index++
			return true
		}
		next, err := p.page.GetNextPage(p.ctx)
		if err != nil {
			p.err = err
			return false
		}
		if next == nil {
			p.done = true
			return false
		}
		p.page, p.index = next, 0
	}
}

// Current returns the item Next advanced to.
func (p *Pager[T]) Current() T { return p.cur }

// Err returns the error that stopped the iteration, if any.
func (p *Pager[T]) Err() error { return p.err }

// RequestID returns the X-Request-ID header of the response of the page the
// current item comes from ("" before the first page, or without one).
func (p *Pager[T]) RequestID() string {
	if p.page == nil {
		return ""
	}
	return p.page.requestID
}

// All returns the remaining items as an iterator for range-over-func; it
// yields the error, if any, as its last pair.
func (p *Pager[T]) All() iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for p.Next() {
			if !yield(p.Current(), nil) {
				return
			}
		}
		if p.err != nil {
			var zero T
			yield(zero, p.err)
		}
	}
}
