// Conformance driver for the Go SDK (github.com/promptrails/go-sdk).
//
// It reads one JSON request per line on stdin, calls the SDK, and writes one
// JSON answer per line on stdout (protocol: conformance-tests/CONFORMANCE.md).
// No assertions: it only maps language-neutral operations to SDK calls and puts
// outcomes in wire form (the SDK's own JSON encoding of its types). A strict
// run (configure's "strict": true, or CONFORMANCE_STRICT=1) builds clients
// WithStrictValidation; a response that does not match the contract is then
// the error kind response_validation.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"time"

	promptrails "github.com/promptrails/go-sdk"
)

type request struct {
	Seq     any            `json:"seq"`
	Cmd     string         `json:"cmd"`
	Client  map[string]any `json:"client"`
	Op      string         `json:"op"`
	Args    map[string]any `json:"args"`
	Options map[string]any `json:"options"`
}

type event struct {
	Type       string `json:"type"`
	ID         any    `json:"id"`
	Data       any    `json:"data"`
	Unknown    bool   `json:"unknown,omitempty"`
	OutputText any    `json:"output_text,omitempty"`
}

// driverProblem: the request cannot be mapped to an SDK call (a driver or harness bug).
type driverProblem struct{ msg string }

func (p *driverProblem) Error() string { return p.msg }

func problem(format string, args ...any) error { return &driverProblem{fmt.Sprintf(format, args...)} }

var client *promptrails.Client

func seconds(v any) time.Duration {
	f, _ := v.(float64)
	return time.Duration(f * float64(time.Second))
}

func integer(v any) int {
	f, _ := v.(float64)
	return int(f)
}

func describe() map[string]any {
	return map[string]any{"ok": true, "result": map[string]any{
		"sdk": "github.com/promptrails/go-sdk", "modes": []string{"tolerant", "strict"}, "unsupported": map[string]string{},
	}}
}

// strictRun reports whether responses are checked against the contract: the
// configure command's "strict" setting, else CONFORMANCE_STRICT=1 (or true).
func strictRun(settings map[string]any) bool {
	if v, ok := settings["strict"].(bool); ok {
		return v
	}
	env := os.Getenv("CONFORMANCE_STRICT")
	return env == "1" || env == "true"
}

func configure(settings map[string]any) map[string]any {
	opts := []promptrails.Option{}
	if strictRun(settings) {
		opts = append(opts, promptrails.WithStrictValidation())
	}
	if base, ok := settings["base_url"].(string); ok {
		opts = append(opts, promptrails.WithBaseURL(base))
	}
	if v, ok := settings["max_retries"]; ok {
		opts = append(opts, promptrails.WithMaxRetries(integer(v)))
	}
	if v, ok := settings["timeout"]; ok {
		opts = append(opts, promptrails.WithTimeout(seconds(v)))
	}
	key, _ := settings["api_key"].(string)
	forgetConversations()
	client = promptrails.NewClient(key, opts...)
	return map[string]any{"ok": true, "result": map[string]any{"sdk": "github.com/promptrails/go-sdk", "version": promptrails.Version,
		"strict": strictRun(settings)}}
}

// wire puts an SDK value in wire form: its JSON encoding, decoded generically.
func wire(v any) (any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// into fills an SDK params struct from wire-form arguments (the structs carry the wire names as JSON tags).
func into(args map[string]any, target any, skip ...string) error {
	rest := map[string]any{}
	for k, v := range args {
		rest[k] = v
	}
	for _, k := range skip {
		delete(rest, k)
	}
	data, err := json.Marshal(rest)
	if err != nil {
		return err
	}
	decoder := json.NewDecoder(bytes.NewReader(data))
	decoder.DisallowUnknownFields()
	if err := decoder.Decode(target); err != nil {
		return problem("arguments %s do not fit %T: %v", data, target, err)
	}
	return nil
}

func str(args map[string]any, name string) (string, error) {
	v, ok := args[name]
	if !ok {
		return "", problem("missing argument %s", name)
	}
	s, ok := v.(string)
	if !ok {
		return "", problem("argument %s is not a string", name)
	}
	return s, nil
}

func optInt(args map[string]any, name string) *int64 {
	if v, ok := args[name]; ok {
		f, _ := v.(float64)
		n := int64(f)
		return &n
	}
	return nil
}

func wireEvent(ev promptrails.Event) (event, error) {
	if u, ok := ev.(*promptrails.UnknownEvent); ok {
		return event{Type: u.Name, ID: idOrNil(u.EventID), Data: u.Data, Unknown: true}, nil
	}
	data, err := wire(ev)
	if err != nil {
		return event{}, err
	}
	id := ""
	value := reflect.ValueOf(ev)
	for value.Kind() == reflect.Pointer {
		value = value.Elem()
	}
	if field := value.FieldByName("EventID"); field.IsValid() && field.Kind() == reflect.String {
		id = field.String()
	}
	out := event{Type: ev.EventType(), ID: idOrNil(id), Data: data}
	if text, ok := outputText(ev); ok {
		out.OutputText = text
	}
	return out, nil
}

func idOrNil(id string) any {
	if id == "" {
		return nil
	}
	return id
}

// wireError puts an error in wire form. Its kind is the SDK error's own kind,
// except that an error caused by a validation error (in strict mode, a stream
// error whose event departs from the contract) is a response_validation one,
// as errors.Is sees it.
func wireError(err error) map[string]any {
	out := map[string]any{"class": fmt.Sprintf("%T", err), "display": err.Error()}
	var e *promptrails.Error
	if !errors.As(err, &e) {
		out["kind"], out["message"] = "foreign", fmt.Sprintf("%T: %v", err, err)
		return out
	}
	out["class"] = fmt.Sprintf("%T(%v)", e, e.Kind)
	switch {
	case errors.Is(err, promptrails.ErrResponseValidation):
		// Strict mode: a response, or a stream event (a stream error caused by the
		// validation error), that does not match the contract.
		out["kind"], out["message"] = "response_validation", e.Error()
		if e.Data != "" {
			out["data"] = e.Data
		}
	case e.Is(promptrails.ErrInvalidArgument):
		out["kind"], out["message"] = "invalid_argument", e.Error()
	case e.Is(promptrails.ErrTimeout):
		out["kind"], out["message"] = "timeout", e.Error()
	case e.Is(promptrails.ErrStatus):
		out["kind"] = fmt.Sprintf("status:%d", e.StatusCode)
		out["status_code"] = e.StatusCode
		// Go cannot tell an empty code from none (a body without one): report none.
		out["code"] = nil
		if e.Code != "" {
			out["code"] = e.Code
		}
		out["message"] = e.Message
		out["request_id"] = e.RequestID
		details, _ := wire(e.Details)
		if details == nil {
			details = map[string]any{}
		}
		out["details"] = details
	case e.Is(promptrails.ErrStream):
		out["kind"], out["message"] = "stream", e.Error()
		// The offending frame's raw data; Go cannot tell an empty one from none.
		out["data"] = nil
		if e.Data != "" {
			out["data"] = e.Data
		}
	case e.Is(promptrails.ErrConnection):
		out["kind"], out["message"] = "connection", e.Error()
	default:
		out["kind"], out["message"] = "unclassified", e.Error()
	}
	return out
}

func requestOptions(options map[string]any) []promptrails.Option {
	var opts []promptrails.Option
	if v, ok := options["max_retries"]; ok {
		opts = append(opts, promptrails.WithMaxRetries(integer(v)))
	}
	if v, ok := options["timeout"]; ok {
		opts = append(opts, promptrails.WithRequestTimeout(seconds(v)))
	}
	if v, ok := options["idempotency_key"].(string); ok {
		opts = append(opts, promptrails.WithIdempotencyKey(v))
	}
	return opts
}

// outcome is what one call produced: a result, a stream's events, or an error.
type outcome struct {
	result  any
	events  []event
	stream  bool
	callErr error
}

func drain(stream *promptrails.Stream, err error) (outcome, error) {
	out := outcome{stream: true, events: []event{}}
	if err != nil {
		out.callErr = err
		return out, nil
	}
	defer stream.Close()
	for stream.Next() {
		ev, werr := wireEvent(stream.Current())
		if werr != nil {
			return out, werr
		}
		out.events = append(out.events, ev)
	}
	out.callErr = stream.Err()
	return out, nil
}

func page[T any](p *promptrails.Page[T], err error) (outcome, error) {
	if err != nil {
		return outcome{callErr: err}, nil
	}
	data, werr := wire(p.Data)
	if werr != nil {
		return outcome{}, werr
	}
	if data == nil {
		data = []any{}
	}
	meta, werr := wire(p.Meta)
	if werr != nil {
		return outcome{}, werr
	}
	return outcome{result: map[string]any{"data": data, "meta": meta}}, nil
}

func all[T any](pager *promptrails.Pager[T]) (outcome, error) {
	items := []any{}
	for pager.Next() {
		item, err := wire(pager.Current())
		if err != nil {
			return outcome{}, err
		}
		items = append(items, item)
	}
	if err := pager.Err(); err != nil {
		return outcome{callErr: err}, nil
	}
	return outcome{result: items}, nil
}

func value(v any, err error) (outcome, error) {
	if err != nil {
		return outcome{callErr: err}, nil
	}
	result, werr := wire(v)
	return outcome{result: result}, werr
}

func call(ctx context.Context, op string, args map[string]any, options map[string]any) (outcome, error) {
	if client == nil {
		return outcome{}, problem("call before configure")
	}
	opts := requestOptions(options)
	chat, executions := client.Chat, client.Executions
	switch op {
	case "chat.list_sessions":
		return page(chat.ListSessions(ctx, &promptrails.ListSessionsParams{Page: optInt(args, "page"), Limit: optInt(args, "limit")}, opts...))
	case "chat.list_sessions.all":
		return all(chat.ListSessionsAutoPaging(ctx, &promptrails.ListSessionsParams{Limit: optInt(args, "limit")}, opts...))
	case "chat.create_session":
		params := &promptrails.CreateSessionParams{}
		if err := into(args, params); err != nil {
			return outcome{}, err
		}
		return value(chat.CreateSession(ctx, params, opts...))
	case "chat.get_session":
		sid, err := str(args, "session_id")
		if err != nil {
			return outcome{}, err
		}
		return value(chat.GetSession(ctx, sid, opts...))
	case "chat.update_session":
		sid, err := str(args, "session_id")
		if err != nil {
			return outcome{}, err
		}
		params := &promptrails.UpdateSessionParams{}
		if err := into(args, params, "session_id"); err != nil {
			return outcome{}, err
		}
		return value(chat.UpdateSession(ctx, sid, params, opts...))
	case "chat.delete_session":
		sid, err := str(args, "session_id")
		if err != nil {
			return outcome{}, err
		}
		return outcome{callErr: chat.DeleteSession(ctx, sid, opts...)}, nil
	case "chat.list_messages":
		sid, err := str(args, "session_id")
		if err != nil {
			return outcome{}, err
		}
		return page(chat.ListMessages(ctx, sid, &promptrails.ListMessagesParams{Page: optInt(args, "page"), Limit: optInt(args, "limit")}, opts...))
	case "chat.list_messages.all":
		sid, err := str(args, "session_id")
		if err != nil {
			return outcome{}, err
		}
		return all(chat.ListMessagesAutoPaging(ctx, sid, &promptrails.ListMessagesParams{Limit: optInt(args, "limit")}, opts...))
	case "chat.send_message", "chat.send_message_stream":
		sid, err := str(args, "session_id")
		if err != nil {
			return outcome{}, err
		}
		params := &promptrails.SendMessageParams{}
		if err := into(args, params, "session_id"); err != nil {
			return outcome{}, err
		}
		if op == "chat.send_message" {
			return value(chat.SendMessage(ctx, sid, params, opts...))
		}
		return drain(chat.SendMessageStream(ctx, sid, params, opts...))
	case "chat.delete_message":
		sid, err := str(args, "session_id")
		if err != nil {
			return outcome{}, err
		}
		mid, err := str(args, "message_id")
		if err != nil {
			return outcome{}, err
		}
		return outcome{callErr: chat.DeleteMessage(ctx, sid, mid, opts...)}, nil
	case "chat.submit_feedback":
		sid, err := str(args, "session_id")
		if err != nil {
			return outcome{}, err
		}
		params := &promptrails.SubmitFeedbackParams{}
		if err := into(args, params, "session_id"); err != nil {
			return outcome{}, err
		}
		return value(chat.SubmitFeedback(ctx, sid, params, opts...))
	case "executions.list", "executions.list.all":
		params := &promptrails.ListExecutionsParams{Page: optInt(args, "page"), Limit: optInt(args, "limit")}
		for name, target := range map[string]*string{"agent_id": &params.AgentID, "session_id": &params.SessionID, "status": &params.Status} {
			if _, given := args[name]; given {
				value, err := str(args, name)
				if err != nil {
					return outcome{}, err
				}
				*target = value
			}
		}
		if op == "executions.list" {
			return page(executions.List(ctx, params, opts...))
		}
		return all(executions.ListAutoPaging(ctx, params, opts...))
	case "executions.cancel":
		eid, err := str(args, "execution_id")
		if err != nil {
			return outcome{}, err
		}
		return value(executions.Cancel(ctx, eid, opts...))
	case "executions.get":
		eid, err := str(args, "execution_id")
		if err != nil {
			return outcome{}, err
		}
		return value(executions.Get(ctx, eid, opts...))
	case "executions.stream":
		eid, err := str(args, "execution_id")
		if err != nil {
			return outcome{}, err
		}
		params := &promptrails.StreamExecutionParams{}
		if last, ok := args["last_event_id"].(string); ok {
			params.LastEventID = last
		}
		return drain(executions.Stream(ctx, eid, params, opts...))
	}
	if strings.HasPrefix(op, "conversation.") {
		return conversationCall(ctx, op, args)
	}
	return outcome{}, problem("unknown operation %q", op)
}

func answer(req request) map[string]any {
	switch req.Cmd {
	case "describe":
		return describe()
	case "configure":
		return configure(req.Client)
	case "call":
		args := req.Args
		if args == nil {
			args = map[string]any{}
		}
		out, err := call(context.Background(), req.Op, args, req.Options)
		if err != nil {
			return driverFailure(err)
		}
		reply := map[string]any{"ok": out.callErr == nil}
		if out.stream {
			reply["events"] = out.events
		} else if out.callErr == nil {
			reply["result"] = out.result
		}
		if out.callErr != nil {
			reply["error"] = wireError(out.callErr)
		}
		return reply
	}
	return driverFailure(problem("unknown command %q", req.Cmd))
}

func driverFailure(err error) map[string]any {
	fmt.Fprintln(os.Stderr, "driver:", err)
	return map[string]any{"ok": false, "error": map[string]any{"kind": "driver", "message": err.Error()}}
}

func main() {
	scanner := bufio.NewScanner(os.Stdin)
	scanner.Buffer(make([]byte, 1<<20), 64<<20)
	out := bufio.NewWriter(os.Stdout)
	for scanner.Scan() {
		line := scanner.Bytes()
		if len(line) == 0 {
			continue
		}
		var req request
		var reply map[string]any
		if err := json.Unmarshal(line, &req); err != nil {
			reply = driverFailure(problem("not a JSON request: %v", err))
		} else {
			reply = answer(req)
		}
		reply["seq"] = req.Seq
		data, err := json.Marshal(reply)
		if err != nil {
			data, _ = json.Marshal(map[string]any{"seq": req.Seq, "ok": false, "error": map[string]any{"kind": "driver", "message": err.Error()}})
		}
		out.Write(data)
		out.WriteByte('\n')
		out.Flush()
	}
}
