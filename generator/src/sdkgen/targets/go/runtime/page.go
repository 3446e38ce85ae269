package promptrails

import (
	"context"
	"iter"
)

// PageInfo is where a page stands in the whole list.
type PageInfo struct {
	// Total is how many items the whole list holds.
	Total int64 `json:"total"`
	// Page is this page's number, from 1.
	Page int64 `json:"page"`
	// Limit is the most items a page holds.
	Limit int64 `json:"limit"`
	// TotalPages is how many pages the whole list has.
	TotalPages int64 `json:"total_pages"`
}

// Page is one page of a list.
type Page[T any] struct {
	// Data holds the items of this page.
	Data []T `json:"data"`
	// Meta says where the page stands in the whole list.
	Meta PageInfo `json:"meta"`

	next func(ctx context.Context, page int64) (*Page[T], error)
}

// HasNextPage reports whether a page follows this one.
func (p *Page[T]) HasNextPage() bool {
	return p != nil && p.next != nil && len(p.Data) > 0 && p.Meta.Page < p.Meta.TotalPages
}

// GetNextPage fetches the page after this one, with the same parameters; it
// returns nil and no error after the last page.
func (p *Page[T]) GetNextPage(ctx context.Context) (*Page[T], error) {
	if !p.HasNextPage() {
		return nil, nil
	}
	return p.next(ctx, p.Meta.Page+1)
}

// Pager iterates over the items of every page of a list, fetching pages as
// needed:
//
//	iter := client.Chat.ListSessionsAutoPaging(ctx, nil)
//	for iter.Next() {
//		session := iter.Current()
//	}
//	if err := iter.Err(); err != nil { ... }
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

// All returns the remaining items as an iterator for range-over-func; it
// yields the error, if any, as its last pair:
//
//	for session, err := range client.Chat.ListSessionsAutoPaging(ctx, nil).All() { ... }
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
