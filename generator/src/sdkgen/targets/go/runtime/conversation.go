import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
)

// Conversations (RUNTIME.md, "Conversations").
//
// A Conversation is a thin, stateful view of one server session of a chat
// API: the server holds the state; the conversation keeps what it has seen
// (the stored messages, oldest first) so that reading the history or the
// totals costs no request. The API's spec binds it to its operations
// (x-sdk-conversation): the generated code gives the runtime a
// conversationBinding, and everything here is the same for any API.
//
// After every reply the conversation reads the messages the server stored
// since the last it knows (one request, from the last one it holds, which
// must read the same, else it reads them all again): the history, the usage
// and the cost are the server's own records, whichever way the reply came
// (sent, streamed, left early, or run asynchronously by the server).

// messageRoleField is the field of a stored message holding who wrote it: the
// chat APIs' convention (the spec names the text field; a message's text is
// under the same name).
const messageRoleField = "role"

// conversationBinding is what the generated code tells the runtime about one
// API's sessions: the operations, and the fields they read and write.
type conversationBinding struct {
	textField      string      // the body field carrying the user's text, and a message's text
	sessionIDField string      // the field of create's result holding the session's id
	createFields   []string    // the body fields of create, kept for Clear and Save
	usageFields    [][2]string // token counters: counter name, message field
	costField      string      // the message field holding its cost ("" when none)

	// create opens a session with the JSON object body and returns the
	// session as JSON.
	create func(ctx context.Context, body json.RawMessage, opts []Option) (string, error)
	// get reads a session as JSON (nil: the API has no such operation).
	get func(ctx context.Context, id string, opts []Option) (string, error)
	// send sends a message and returns the reply.
	send func(ctx context.Context, id, text string, opts []Option) (*sentReply, error)
	// stream sends a message and streams the reply (nil: no such operation).
	stream func(ctx context.Context, id, text string, opts []Option) (*Stream, error)
	// history returns the session's stored messages from index from (0:
	// the oldest), each as its JSON.
	history func(ctx context.Context, id string, from int, opts []Option) ([]string, error)
	// delete deletes the session (nil: no such operation).
	delete func(ctx context.Context, id string, opts []Option) error
}

// sentReply is the answer of the send operation, as the binding reads it.
type sentReply struct {
	raw     string // the answer (its data) as received
	text    string // the reply's text
	hasText bool   // whether the answer carried the reply (else the run goes on)
	runID   string // the run that produced it, when the answer names it
	// follow opens the stream of that run (nil: the API offers none), for
	// an answer given before the run ended.
	follow func(ctx context.Context, opts []Option) (*Stream, error)
}

// ConversationOption configures a conversation: any Option (WithMaxRetries,
// WithTimeout, WithHeader...: they apply to every call the conversation
// makes, under the options of each call), WithMaxConcurrentInvocations or
// WithDeleteOnClose.
type ConversationOption interface {
	applyConversation(*conversationSettings)
}

type conversationSettings struct {
	opts          []Option
	maxConcurrent int
	deleteOnClose bool
}

func (o Option) applyConversation(s *conversationSettings) { s.opts = append(s.opts, o) }

type conversationSetting func(*conversationSettings)

func (f conversationSetting) applyConversation(s *conversationSettings) { f(s) }

// WithMaxConcurrentInvocations sets how many sends and streams of one
// conversation may run at once (default 1: they run one after another, in
// the order they were called, never interleaved). A number below 1 makes
// opening the conversation fail with an ErrInvalidArgument error.
func WithMaxConcurrentInvocations(n int) ConversationOption {
	return conversationSetting(func(s *conversationSettings) { s.maxConcurrent = n })
}

// WithDeleteOnClose makes Close delete the server session.
func WithDeleteOnClose() ConversationOption {
	return conversationSetting(func(s *conversationSettings) { s.deleteOnClose = true })
}

// ConversationMessage is one stored message of a conversation, as the server
// sent it: Role and Content, any field by its wire name with Get, the whole
// object with RawJSON, and the API's own message type with Decode.
type ConversationMessage struct {
	// Role is who wrote the message (its "role" field).
	Role string
	// Content is the message's text.
	Content string

	raw     string
	members []member
}

func newConversationMessage(raw, textField string) (ConversationMessage, error) {
	if err := checkJSON(raw); err != nil {
		return ConversationMessage{}, err
	}
	members, err := scanMembers(raw, &objectShape{flatten: -1}, nil, nil)
	if err != nil {
		return ConversationMessage{}, err
	}
	m := ConversationMessage{raw: raw, members: members}
	m.Role, _ = parseString(m.Get(messageRoleField).Raw())
	m.Content, _ = parseString(m.Get(textField).Raw())
	return m, nil
}

// Get returns the field of the message with this wire name (such as "cost"):
// its raw JSON, and whether the server sent it.
func (m ConversationMessage) Get(key string) JSONField {
	for i := len(m.members) - 1; i >= 0; i-- { // of duplicate keys the last wins
		if m.members[i].key == key {
			return rawField(m.members[i].val)
		}
	}
	return JSONField{}
}

// RawJSON returns the message as the server sent it.
func (m ConversationMessage) RawJSON() string { return m.raw }

// Decode decodes the message into v, such as the API's own message type.
func (m ConversationMessage) Decode(v any) error {
	if m.raw == "" {
		return invalidArgument("message", "an empty ConversationMessage has nothing to decode")
	}
	return json.Unmarshal([]byte(m.raw), v)
}

// MarshalJSON writes the message as the server sent it.
func (m ConversationMessage) MarshalJSON() ([]byte, error) {
	if m.raw == "" {
		return []byte("null"), nil
	}
	return []byte(m.raw), nil
}

// String returns "role: content".
func (m ConversationMessage) String() string { return m.Role + ": " + m.Content }

// number reads the message's field as a number (0, false when absent or not one).
func (m ConversationMessage) number(key string) (float64, bool) {
	if key == "" {
		return 0, false
	}
	return parseFloat(m.Get(key).Raw())
}

func (m ConversationMessage) integer(key string) (int64, bool) {
	return parseInt(m.Get(key).Raw())
}

// ConversationReply is the reply to a message sent in a conversation. Its
// String is its text, so fmt.Println(reply) prints the reply.
type ConversationReply struct {
	// Content is the reply's text.
	Content string
	// ExecutionID is the run that produced the reply, when the API names it.
	ExecutionID string
	// Message is the assistant message the server stored (nil when it could
	// not be read back: the history is read again by the next call).
	Message *ConversationMessage
	// UserMessage is the message sent, as the server stored it (nil: as for
	// Message).
	UserMessage *ConversationMessage
	// Usage is the token counters of the reply (its message's).
	Usage map[string]int64
	// Cost is what producing the reply cost (0 when the API says nothing).
	Cost float64
	// Raw is the answer of the send operation as received.
	Raw json.RawMessage
}

// String returns the reply's text.
func (r *ConversationReply) String() string {
	if r == nil {
		return ""
	}
	return r.Content
}

// Conversation is a conversation held by the server in one session: send
// messages (Send) or stream the replies (Stream, StreamEvents); the history,
// usage and cost are kept as the server stored them. It is safe for
// concurrent use: at most WithMaxConcurrentInvocations sends and streams run
// at once (default 1: in the order they were called; a stream holds its turn
// until its loop ends, so a Send inside that loop waits for it). Close it when done
// (defer conv.Close()): it closes the streams still open and, with
// WithDeleteOnClose, deletes the session.
type Conversation struct {
	b             *conversationBinding
	gate          *invocationGate
	deleteOnClose bool
	life          context.Context // the runs left early are followed within it; Close ends it
	endLife       context.CancelFunc

	syncMu sync.Mutex // one reading of the stored messages at a time

	mu        sync.Mutex
	sessionID string
	create    json.RawMessage // the create fields, as a JSON object
	history   []ConversationMessage
	stale     bool // the stored messages must be read again
	closed    bool
	deleted   bool
	streams   map[*Stream]struct{} // the streams open now
	pending   int                  // runs left early still followed
	idle      chan struct{}        // closed when pending drops to 0; nil while it is 0
	lastErr   error                // why following a run left early failed
}

func newConversation(b *conversationBinding, s conversationSettings) *Conversation {
	life, end := context.WithCancel(context.Background())
	return &Conversation{b: b, gate: newInvocationGate(s.maxConcurrent), deleteOnClose: s.deleteOnClose,
		life: life, endLife: end, streams: map[*Stream]struct{}{}}
}

func conversationConfig(opts []ConversationOption) (conversationSettings, error) {
	s := conversationSettings{maxConcurrent: 1}
	for _, o := range opts {
		if o != nil {
			o.applyConversation(&s)
		}
	}
	if s.maxConcurrent < 1 {
		return s, invalidArgument("opts", "WithMaxConcurrentInvocations(%d): at least 1 invocation must be allowed", s.maxConcurrent)
	}
	return s, nil
}

// openConversation opens a conversation: on the session sessionID (read at
// once: its create fields, when the API can read a session, and its stored
// messages), else on a new session created with the fields of create (a
// Params struct; all of them zero when resuming).
func openConversation(ctx context.Context, c *core, bind func(*core) *conversationBinding, sessionID string, create any, opts []ConversationOption) (*Conversation, error) {
	s, err := conversationConfig(opts)
	if err != nil {
		return nil, err
	}
	b := bind(c.with(s.opts))
	conv := newConversation(b, s)
	if sessionID != "" {
		if rv := reflect.ValueOf(create); rv.Kind() == reflect.Pointer && !rv.IsNil() && !rv.Elem().IsZero() {
			conv.Close()
			return nil, invalidArgument("params", "SessionID resumes a session: leave the fields that create one empty")
		}
		conv.sessionID = sessionID
		if b.get != nil {
			raw, err := b.get(ctx, sessionID, nil)
			if err != nil {
				conv.Close()
				return nil, err
			}
			conv.create = pickMembers(raw, b.createFields)
		}
		if err := conv.sync(ctx, sessionID); err != nil {
			conv.Close()
			return nil, err
		}
		return conv, nil
	}
	body, err := json.Marshal(create)
	if err != nil {
		conv.Close()
		return nil, invalidArgument("params", "cannot encode the session's fields: %v", err)
	}
	if string(body) == "null" {
		body = json.RawMessage("{}") // an API whose sessions take no fields
	}
	id, err := conv.createSession(ctx, body)
	if err != nil {
		conv.Close()
		return nil, err
	}
	conv.sessionID, conv.create = id, body
	return conv, nil
}

// createSession creates a session with the body and returns its id.
func (c *Conversation) createSession(ctx context.Context, body json.RawMessage) (string, error) {
	raw, err := c.b.create(ctx, body, nil)
	if err != nil {
		return "", err
	}
	v, _ := jsonAt(raw, []any{c.b.sessionIDField})
	id, ok := parseString(v)
	if !ok && v != "" && v[0] != '"' && v != "null" && v[0] != '{' && v[0] != '[' {
		id, ok = v, true // a number
	}
	if !ok || id == "" {
		return "", &Error{Kind: ErrResponseValidation, Message: fmt.Sprintf("the created session has no %q", c.b.sessionIDField), Body: []byte(raw)}
	}
	return id, nil
}

// pickMembers returns the members of the JSON object raw named in keys, as a
// JSON object (in the order of keys).
func pickMembers(raw string, keys []string) json.RawMessage {
	members, _ := scanMembers(raw, &objectShape{flatten: -1}, nil, nil)
	b := []byte{'{'}
	for _, k := range keys {
		for i := len(members) - 1; i >= 0; i-- {
			if members[i].key == k {
				if len(b) > 1 {
					b = append(b, ',')
				}
				b = appendJSONString(b, k)
				b = append(append(b, ':'), members[i].val...)
				break
			}
		}
	}
	return append(b, '}')
}

// SessionID returns the id of the server session the conversation is on.
func (c *Conversation) SessionID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sessionID
}

// usable reports why the conversation cannot be used, if it cannot.
func (c *Conversation) usable() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return invalidArgument("conversation", "the conversation is closed")
	}
	return nil
}

// begin waits for an invocation slot (in call order) and makes sure the
// history is current; release gives the slot back.
func (c *Conversation) begin(ctx context.Context) (release func(), err error) {
	return c.acquire(ctx, true)
}

// acquire waits for an invocation slot; with current, it also reads the
// stored messages the history may lack (Clear, which drops the session,
// needs no such read: the old session may be gone).
func (c *Conversation) acquire(ctx context.Context, current bool) (release func(), err error) {
	if err := c.usable(); err != nil {
		return nil, err
	}
	if release, err = c.gate.acquire(ctx); err != nil {
		return nil, err
	}
	if err := c.usable(); err != nil {
		release()
		return nil, err
	}
	c.mu.Lock()
	stale, id := c.stale, c.sessionID
	c.mu.Unlock()
	if stale && current {
		if err := c.sync(ctx, id); err != nil {
			release()
			return nil, err
		}
	}
	return release, nil
}

// Send sends a message and returns the reply. The history then holds the
// message and the reply as the server stored them. Other fields of the sent
// message (such as its metadata) go with WithJSONSet; opts apply to the calls
// of this send.
func (c *Conversation) Send(ctx context.Context, text string, opts ...Option) (*ConversationReply, error) {
	release, err := c.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	c.mu.Lock()
	id, before := c.sessionID, len(c.history)
	c.mu.Unlock()
	sent, err := c.b.send(ctx, id, text, opts)
	if err != nil {
		c.markStale() // the server may have stored the message before failing
		return nil, err
	}
	reply := &ConversationReply{Content: sent.text, ExecutionID: sent.runID, Raw: json.RawMessage(sent.raw)}
	if !sent.hasText && sent.follow != nil {
		// The server answered before its run ended: follow the run to its end
		// (with the conversation's options: the send's are for the send).
		st, err := sent.follow(ctx, nil)
		if err != nil {
			c.markStale()
			return nil, err
		}
		c.track(st)
		res, err := st.UntilDone()
		c.untrack(st)
		if err != nil {
			c.markStale()
			return nil, err
		}
		reply.Content = res.OutputText
		if reply.Content == "" {
			reply.Content = res.Text
		}
	}
	if err := c.sync(ctx, id); err != nil {
		c.markStale() // the next call reads them again; the reply stands
		return reply, nil
	}
	c.fill(reply, id, before, text)
	return reply, nil
}

// Invoke is Send.
func (c *Conversation) Invoke(ctx context.Context, text string, opts ...Option) (*ConversationReply, error) {
	return c.Send(ctx, text, opts...)
}

// fill finds the stored user message and reply of a send among the messages
// stored from index before on.
func (c *Conversation) fill(reply *ConversationReply, id string, before int, text string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sessionID != id {
		return
	}
	h := c.history
	before = min(before, len(h))
	user := -1
	for i := len(h) - 1; i >= before; i-- {
		if h[i].Content == text {
			user = i
			break
		}
	}
	if user < 0 && before < len(h) {
		user = before
	}
	if user < 0 {
		return
	}
	um := h[user]
	reply.UserMessage = &um
	answer := -1
	for i := user + 1; i < len(h); i++ {
		if h[i].Role != h[user].Role && (reply.Content == "" || h[i].Content == reply.Content) {
			answer = i
			break
		}
	}
	if answer < 0 {
		for i := user + 1; i < len(h); i++ {
			if h[i].Role != h[user].Role {
				answer = i
				break
			}
		}
	}
	if answer < 0 {
		return
	}
	m := h[answer]
	reply.Message = &m
	if reply.Content == "" {
		reply.Content = m.Content
	}
	reply.Usage = map[string]int64{}
	for _, f := range c.b.usageFields {
		if n, ok := m.integer(f[1]); ok {
			reply.Usage[f[0]] = n
		}
	}
	reply.Cost, _ = m.number(c.b.costField)
}

// Stream sends a message and yields the reply's text as it comes, piece by
// piece; the error that ended it, if any, comes last (a run that failed: an
// ErrStream error whose Event is the failure event):
//
//	for chunk, err := range conv.Stream(ctx, "Tell me a story") {
//		if err != nil { ... }
//		fmt.Print(chunk)
//	}
//
// Each range over it sends the message once: range it once. Leaving the
// loop early closes the response; the conversation follows the run to its
// end (the server goes on and stores the reply) and reads what the server
// stored before the next call or look at the history.
func (c *Conversation) Stream(ctx context.Context, text string, opts ...Option) iter.Seq2[string, error] {
	var used atomic.Bool
	return func(yield func(string, error) bool) {
		if used.Swap(true) {
			yield("", invalidArgument("stream", "this stream was ranged over already: call Stream again to send another message"))
			return
		}
		var last *Stream
		stopped := false
		err := c.run(ctx, text, opts, func(s *Stream) bool {
			last = s
			if d := s.Delta(); d != "" && !yield(d, nil) {
				stopped = true
				return false
			}
			return true
		})
		if stopped {
			return
		}
		if err == nil && last != nil && last.failed != nil {
			err = &Error{Kind: ErrStream, Message: fmt.Sprintf("the run failed: the stream ended with a %q event", last.failed.EventType()),
				Event: last.failed, Data: last.failedData, Body: []byte(last.failedData)}
		}
		if err != nil {
			yield("", err)
		}
	}
}

// StreamEvents sends a message and yields the reply's events, as the
// stream of the API's streaming send does (a failed run ends with its
// failure event, not an error); the error that ended it, if any, comes last.
// As Stream: range it once; leaving early is safe.
func (c *Conversation) StreamEvents(ctx context.Context, text string, opts ...Option) iter.Seq2[Event, error] {
	var used atomic.Bool
	return func(yield func(Event, error) bool) {
		if used.Swap(true) {
			yield(nil, invalidArgument("stream", "this stream was ranged over already: call StreamEvents again to send another message"))
			return
		}
		stopped := false
		err := c.run(ctx, text, opts, func(s *Stream) bool {
			stopped = !yield(s.Current(), nil)
			return !stopped
		})
		if err != nil && !stopped {
			yield(nil, err)
		}
	}
}

// run streams one reply, giving each event to each until it returns false
// (the caller left); it returns the error that ended the stream, if any.
func (c *Conversation) run(ctx context.Context, text string, opts []Option, each func(*Stream) bool) error {
	if c.b.stream == nil {
		return invalidArgument("text", "this API streams no replies: use Send")
	}
	release, err := c.begin(ctx)
	if err != nil {
		return err
	}
	c.mu.Lock()
	id := c.sessionID
	c.mu.Unlock()
	st, err := c.b.stream(ctx, id, text, opts)
	if err != nil {
		c.markStale()
		release()
		return err
	}
	c.track(st)
	for st.Next() {
		if !each(st) {
			c.leave(id, st, release)
			return nil
		}
	}
	if err := st.Err(); err != nil {
		c.leave(id, st, release)
		return err
	}
	c.untrack(st)
	defer release()
	if !st.finished {
		return nil // closed (the conversation is closing)
	}
	if err := c.sync(ctx, id); err != nil {
		c.markStale()
	}
	return nil
}

// leave handles a stream left before its end (by the caller, or by an
// error): in the background, it follows the run to its end, then reads what
// the server stored. The run is followed through the stream's resume route
// from the last event delivered (the stream itself is closed at once); a
// stream of an API without a resume route is read to its end instead. The
// invocation slot is released when that is done, so the next send waits for
// it (in call order), and History waits for it.
func (c *Conversation) leave(id string, st *Stream, release func()) {
	if st.spec.resumeFrom != nil {
		// The run is followed from its id, which its first events carry: read
		// on to it if the caller left before (normally it is the first event).
		for st.resume == nil && !st.finished && st.Next() {
		}
	}
	finished := st.finished
	follow := !finished && st.resume != nil
	if finished || follow {
		st.Close()
		c.untrack(st)
	}
	c.mu.Lock()
	c.pending++
	if c.idle == nil {
		c.idle = make(chan struct{})
	}
	c.mu.Unlock()
	go func() {
		defer release()
		defer c.settled()
		var err error
		switch {
		case finished: // its end was delivered: nothing to follow
		case follow:
			var next *Stream
			if next, err = st.continuation(c.life); err == nil {
				c.track(next)
				for next.Next() {
				}
				c.untrack(next)
				err = next.Err()
				if err == nil && !next.finished {
					err = errClosed
				}
				next.Close()
			}
		default: // no resume route (or it failed before naming its run)
			for st.Next() {
			}
			if err = st.Err(); err == nil && !st.finished {
				err = errClosed
			}
			st.Close()
			c.untrack(st)
		}
		if serr := c.sync(c.life, id); err == nil {
			err = serr
		}
		if err != nil {
			c.mu.Lock()
			c.stale, c.lastErr = true, err
			c.mu.Unlock()
		}
	}()
}

var errClosed = streamError("the stream was closed before its run ended")

// settled records the end of following a run left early.
func (c *Conversation) settled() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pending--
	if c.pending == 0 && c.idle != nil {
		close(c.idle)
		c.idle = nil
	}
}

// wait waits until no run left early is still followed (or ctx is done).
func (c *Conversation) wait(ctx context.Context) error {
	c.mu.Lock()
	idle := c.idle
	c.mu.Unlock()
	if idle == nil {
		return nil
	}
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *Conversation) track(s *Stream) {
	c.mu.Lock()
	closed := c.closed
	if !closed {
		c.streams[s] = struct{}{}
	}
	c.mu.Unlock()
	if closed {
		s.Close()
	}
}

func (c *Conversation) untrack(s *Stream) {
	c.mu.Lock()
	delete(c.streams, s)
	c.mu.Unlock()
}

func (c *Conversation) markStale() {
	c.mu.Lock()
	c.stale = true
	c.mu.Unlock()
}

// sync reads the messages stored since the last one the conversation holds
// (from that one, which must read the same; else all of them again).
func (c *Conversation) sync(ctx context.Context, id string) error {
	c.syncMu.Lock()
	defer c.syncMu.Unlock()
	c.mu.Lock()
	if c.sessionID != id {
		c.mu.Unlock()
		return nil
	}
	n := len(c.history)
	last := ""
	if n > 0 {
		last = c.history[n-1].raw
	}
	c.mu.Unlock()
	from := max(n-1, 0)
	raws, err := c.b.history(ctx, id, from, nil)
	if err != nil {
		return err
	}
	if n > 0 {
		if len(raws) > 0 && sameJSON(raws[0], last) {
			raws = raws[1:]
		} else {
			// The stored messages changed (some were deleted): read them all.
			from = 0
			if raws, err = c.b.history(ctx, id, 0, nil); err != nil {
				return err
			}
		}
	}
	msgs := make([]ConversationMessage, len(raws))
	for i, raw := range raws {
		if msgs[i], err = newConversationMessage(raw, c.b.textField); err != nil {
			return &Error{Kind: ErrResponseValidation, Message: fmt.Sprintf("a stored message is not a JSON object: %v", err), Body: []byte(raw)}
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sessionID != id {
		return nil // cleared meanwhile
	}
	if from == 0 {
		c.history = msgs
	} else {
		c.history = append(c.history[:n:n], msgs...)
	}
	c.stale = false
	return nil
}

// Sync waits for the runs left early to end, then reads the messages the
// server stored since the last the conversation holds (messages stored by
// someone else in the same session included). It returns why following a
// run left early failed, if it did and reading the messages fails too.
func (c *Conversation) Sync(ctx context.Context) error {
	if err := c.usable(); err != nil {
		return err
	}
	if err := c.wait(ctx); err != nil {
		return err
	}
	c.mu.Lock()
	id := c.sessionID
	c.mu.Unlock()
	return c.sync(ctx, id)
}

// Err returns why the conversation could not follow a run left early to its
// end, or read what the server stored then (nil when it could): the history
// then lacks that exchange until the next call or Sync reads it.
func (c *Conversation) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.stale {
		return nil
	}
	return c.lastErr
}

// History returns the messages of the conversation, oldest first, as the
// server stored them. It sends no request; when a stream was left before
// its end, it first waits until the conversation has followed that run to
// its end and read what the server stored.
func (c *Conversation) History() []ConversationMessage {
	c.wait(context.Background())
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.history)
}

// Usage returns the token counters summed over the stored messages (the
// counters the API's messages carry, such as prompt and completion tokens:
// each reply counted once, whichever way it came; a counter only the events
// of streamed replies carry would be a partial sum, so none is added). It
// waits as History does.
func (c *Conversation) Usage() map[string]int64 {
	c.wait(context.Background())
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.usageLocked()
}

func (c *Conversation) usageLocked() map[string]int64 {
	out := map[string]int64{}
	for _, f := range c.b.usageFields {
		out[f[0]] = 0
		for _, m := range c.history {
			if n, ok := m.integer(f[1]); ok {
				out[f[0]] += n
			}
		}
	}
	return out
}

// TotalCost returns the sum of the stored messages' cost (0 when the API
// gives none). It waits as History does.
func (c *Conversation) TotalCost() float64 {
	c.wait(context.Background())
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.costLocked()
}

func (c *Conversation) costLocked() float64 {
	total := 0.0
	for _, m := range c.history {
		if v, ok := m.number(c.b.costField); ok {
			total += v
		}
	}
	return total
}

// Clear starts the conversation afresh: a new server session with the same
// fields (such as the agent, title and metadata), an empty history and
// totals. The old session stays on the server (deleting its messages one by
// one would take a request each and could leave half a context behind). It
// runs after the sends and streams called before it.
func (c *Conversation) Clear(ctx context.Context) error {
	release, err := c.acquire(ctx, false)
	if err != nil {
		return err
	}
	defer release()
	c.mu.Lock()
	body := c.create
	c.mu.Unlock()
	if len(body) == 0 {
		body = json.RawMessage("{}")
	}
	id, err := c.createSession(ctx, body)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.sessionID, c.history, c.stale, c.lastErr, c.deleted = id, nil, false, nil, false
	c.mu.Unlock()
	return nil
}

// Delete deletes the server session (and with it its messages).
func (c *Conversation) Delete(ctx context.Context) error {
	if err := c.usable(); err != nil {
		return err
	}
	if c.b.delete == nil {
		return invalidArgument("conversation", "this API cannot delete a session")
	}
	c.mu.Lock()
	id := c.sessionID
	c.mu.Unlock()
	if err := c.b.delete(ctx, id, nil); err != nil {
		return err
	}
	c.mu.Lock()
	c.deleted = true
	c.mu.Unlock()
	return nil
}

// Close closes the streams of the conversation still open, stops following
// the runs left early and, with WithDeleteOnClose, deletes the server
// session (the error is that deletion's). Calls after Close fail with an
// ErrInvalidArgument error. It is safe to call more than once.
func (c *Conversation) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	open := make([]*Stream, 0, len(c.streams))
	for s := range c.streams {
		open = append(open, s)
	}
	id, del := c.sessionID, c.deleteOnClose && !c.deleted && c.sessionID != ""
	c.mu.Unlock()
	c.endLife()
	for _, s := range open {
		s.Close()
	}
	c.wait(context.Background()) // the followers end at once: their context is done
	if del && c.b.delete != nil {
		if err := c.b.delete(context.Background(), id, nil); err != nil {
			return err
		}
		c.mu.Lock()
		c.deleted = true
		c.mu.Unlock()
	}
	return nil
}

// ---- Save and load ------------------------------------------------------------

// conversationDocument is the version of the document Save writes.
const conversationDocument = 1

// The keys of the saved document that are not the session's create fields.
var documentKeys = []string{"version", "session_id", "usage", "total_cost", "history"}

// SaveOption configures Save.
type SaveOption func(*saveSettings)

type saveSettings struct{ withoutHistory bool }

// WithoutHistory makes Save leave the history out of the document (Load then
// reads it from the server).
func WithoutHistory() SaveOption { return func(s *saveSettings) { s.withoutHistory = true } }

// Save writes the conversation to path as a small JSON document (its
// version, the session's id and create fields, the usage, the total cost and
// the history, unless WithoutHistory): Load continues it on the same server
// session. The document holds no credential and no base URL. The file is
// written whole or not at all, readable by its owner only.
func (c *Conversation) Save(path string, opts ...SaveOption) error {
	var s saveSettings
	for _, o := range opts {
		if o != nil {
			o(&s)
		}
	}
	c.wait(context.Background())
	doc, err := c.document(!s.withoutHistory)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, doc)
}

func (c *Conversation) document(withHistory bool) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := []byte(`{"version":1,"session_id":`)
	b = appendJSONString(b, c.sessionID)
	if len(c.create) > 0 {
		members, err := scanMembers(string(c.create), &objectShape{flatten: -1}, nil, nil)
		if err != nil {
			return nil, err
		}
		for _, m := range members {
			if !slices.Contains(documentKeys, m.key) {
				b = append(appendJSONString(append(b, ','), m.key), ':')
				b = append(b, m.val...)
			}
		}
	}
	usage := c.usageLocked()
	names := make([]string, 0, len(usage))
	for k := range usage {
		names = append(names, k)
	}
	sort.Strings(names)
	b = append(b, `,"usage":{`...)
	for i, k := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(appendJSONString(b, k), ':')
		b = fmt.Append(b, usage[k])
	}
	cost, err := json.Marshal(c.costLocked())
	if err != nil {
		return nil, err
	}
	b = append(append(b, `},"total_cost":`...), cost...)
	if withHistory {
		b = append(b, `,"history":[`...)
		for i, m := range c.history {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, m.raw...)
		}
		b = append(b, ']')
	}
	b = append(b, '}')
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// writeFileAtomic writes data to path through a file beside it, renamed over
// path once complete.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return invalidArgument("path", "cannot save the conversation: %v", err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o600)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return invalidArgument("path", "cannot save the conversation: %v", err)
	}
	return nil
}

// loadConversation continues the conversation a document Save wrote, on the
// same server session (its stored messages read from the server when the
// document has no history).
func loadConversation(ctx context.Context, c *core, bind func(*core) *conversationBinding, path string, opts []ConversationOption) (*Conversation, error) {
	s, err := conversationConfig(opts)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{Kind: ErrInvalidArgument, Argument: "path", Message: fmt.Sprintf("cannot load the conversation: %v", err), Err: err}
	}
	bad := func(format string, args ...any) error {
		return invalidArgument("path", "%s is not a saved conversation: %s", path, fmt.Sprintf(format, args...))
	}
	if err := checkJSON(string(data)); err != nil {
		return nil, bad("%v", err)
	}
	members, err := scanMembers(string(data), &objectShape{flatten: -1}, nil, nil)
	if err != nil {
		return nil, bad("%v", err)
	}
	get := func(key string) (string, bool) {
		for i := len(members) - 1; i >= 0; i-- {
			if members[i].key == key {
				return members[i].val, true
			}
		}
		return "", false
	}
	if v, _ := get("version"); v != "1" {
		return nil, bad("version %s, this SDK reads version %d", orAbsent(v), conversationDocument)
	}
	v, _ := get("session_id")
	id, ok := parseString(v)
	if !ok || id == "" {
		return nil, bad("no session_id")
	}
	b := bind(c.with(s.opts))
	conv := newConversation(b, s)
	conv.sessionID = id
	conv.create = pickMembers(string(data), b.createFields)
	var history []ConversationMessage
	raw, hasHistory := get("history")
	if hasHistory {
		if raw == "" || raw[0] != '[' {
			conv.Close()
			return nil, bad("history is %s, not a list", jsonType(raw))
		}
		for i, item := range arrayItems(raw) {
			var compact bytes.Buffer
			if err := json.Compact(&compact, []byte(item)); err == nil {
				item = compact.String() // as the server sends it (the document is indented)
			}
			m, err := newConversationMessage(item, b.textField)
			if err != nil {
				conv.Close()
				return nil, bad("history[%d]: %v", i, err)
			}
			history = append(history, m)
		}
	}
	conv.history = history
	if usage, ok := get("usage"); ok && usage != "null" && usage[0] != '{' {
		conv.Close()
		return nil, bad("usage is %s, not an object", jsonType(usage)) // (the totals are the messages')
	}
	if !hasHistory {
		if err := conv.sync(ctx, id); err != nil {
			conv.Close()
			return nil, err
		}
	}
	return conv, nil
}

// sameJSON reports whether two JSON texts are the same but for insignificant
// white space.
func sameJSON(a, b string) bool {
	if a == b {
		return true
	}
	var ca, cb bytes.Buffer
	return json.Compact(&ca, []byte(a)) == nil && json.Compact(&cb, []byte(b)) == nil && ca.String() == cb.String()
}

func orAbsent(raw string) string {
	if raw == "" {
		return "absent"
	}
	return raw
}

// ---- Invocation slots ---------------------------------------------------------

// invocationGate hands out a fixed number of slots, first come, first
// served: the waiters are served in the order they arrived.
type invocationGate struct {
	mu      sync.Mutex
	free    int
	waiters []chan struct{}
}

func newInvocationGate(n int) *invocationGate { return &invocationGate{free: n} }

// acquire waits for a slot (or for ctx to be done) and returns the function
// that gives it back (once, however often it is called).
func (g *invocationGate) acquire(ctx context.Context) (func(), error) {
	g.mu.Lock()
	if g.free > 0 && len(g.waiters) == 0 {
		g.free--
		g.mu.Unlock()
		return g.releaser(), nil
	}
	ch := make(chan struct{})
	g.waiters = append(g.waiters, ch)
	g.mu.Unlock()
	select {
	case <-ch:
		return g.releaser(), nil
	case <-ctx.Done():
		g.mu.Lock()
		select {
		case <-ch: // handed a slot meanwhile: give it on
			g.mu.Unlock()
			g.release()
		default:
			if i := slices.Index(g.waiters, ch); i >= 0 {
				g.waiters = slices.Delete(g.waiters, i, i+1)
			}
			g.mu.Unlock()
		}
		return nil, ctx.Err()
	}
}

func (g *invocationGate) releaser() func() {
	var once sync.Once
	return func() { once.Do(g.release) }
}

func (g *invocationGate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.waiters) > 0 {
		ch := g.waiters[0]
		g.waiters = g.waiters[1:]
		close(ch)
		return
	}
	g.free++
}

var errNoRun = errors.New("the stream never named its run: it cannot be followed")
