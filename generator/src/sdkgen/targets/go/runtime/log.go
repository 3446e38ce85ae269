import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Logging (RUNTIME.md, "Logging"). Records go to the logger WithLogger
// gives, else, when {PREFIX}_LOG is info or debug, to stderr at that level;
// otherwise nowhere. Bodies and credentials are never logged.

// envLogger is the logger the environment variable name asks for, nil for none.
func envLogger(name string) *slog.Logger {
	var level slog.Level
	switch strings.ToLower(strings.TrimSpace(os.Getenv(name))) {
	case "debug":
		level = slog.LevelDebug
	case "info":
		level = slog.LevelInfo
	default:
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

func logEnabled(cfg *config, level slog.Level) bool {
	return cfg.logger != nil && cfg.logger.Enabled(context.Background(), level)
}

// logPath is the URL's path (the query may hold a credential: never logged).
func logPath(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil {
		return u.EscapedPath()
	}
	return ""
}

// logAttempt logs one attempt: at info its outcome, at debug its headers.
func (c *core) logAttempt(p *prepared, sent http.Header, resp *http.Response, err error, took time.Duration) {
	if !logEnabled(p.cfg, slog.LevelInfo) {
		return
	}
	path := logPath(p.url)
	ms := took.Milliseconds()
	if resp == nil {
		p.cfg.logger.Info(p.method+" "+path+" failed in "+formatMs(ms)+": "+err.Error(),
			"method", p.method, "path", path, "duration_ms", ms, "error", err.Error())
		return
	}
	rid := resp.Header.Get("X-Request-ID")
	msg := p.method + " " + path + " -> " + itoa(resp.StatusCode) + " in " + formatMs(ms)
	if rid != "" {
		msg += ", request_id " + rid
	}
	p.cfg.logger.Info(msg, "method", p.method, "path", path, "status", resp.StatusCode, "duration_ms", ms, "request_id", rid)
	if logEnabled(p.cfg, slog.LevelDebug) {
		p.cfg.logger.Debug("request headers", "method", p.method, "path", path, "headers", c.redactedHeaders(sent))
		p.cfg.logger.Debug("response headers", "status", resp.StatusCode, "headers", c.redactedHeaders(resp.Header))
		if k := p.header.Get("Idempotency-Key"); k != "" {
			p.cfg.logger.Debug("idempotency key", "idempotency_key", k)
		}
	}
}

// logRetry logs a retry, its reason and its delay.
func (c *core) logRetry(p *prepared, err error, delay time.Duration) {
	if !logEnabled(p.cfg, slog.LevelInfo) {
		return
	}
	path := logPath(p.url)
	p.cfg.logger.Info("retrying "+p.method+" "+path+" in "+formatMs(delay.Milliseconds())+": "+err.Error(),
		"method", p.method, "path", path, "delay_ms", delay.Milliseconds(), "reason", err.Error())
}

// logResume logs a stream resume.
func logResume(cfg *config, method, rawURL, lastEventID string) {
	if !logEnabled(cfg, slog.LevelInfo) {
		return
	}
	path := logPath(rawURL)
	cfg.logger.Info("resuming the stream with "+method+" "+path+", Last-Event-ID "+lastEventID,
		"method", method, "path", path, "last_event_id", lastEventID)
}

// logFrame logs an event's name and id at debug.
func logFrame(cfg *config, name, id string) {
	if logEnabled(cfg, slog.LevelDebug) {
		cfg.logger.Debug("event "+name, "event", name, "id", id)
	}
}

// redactedHeaders renders headers for a log line, credentials redacted.
func (c *core) redactedHeaders(h http.Header) string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString("; ")
		}
		v := strings.Join(h[k], ", ")
		if c.settings.secretHeader(k) {
			v = "[REDACTED]"
		}
		b.WriteString(k + ": " + v)
	}
	return b.String()
}

func itoa(n int) string { return strconv.Itoa(n) }

func formatMs(ms int64) string { return strconv.FormatInt(ms, 10) + " ms" }
