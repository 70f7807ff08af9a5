package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"time"

	"github.com/biplane-go/biplane"
	"github.com/biplane-go/biplane/web"
)

// Config is the device's configuration, as GET /config answers it and
// PUT /config replaces it, whole.
type Config struct {
	Name       string `json:"name"`        // 1 to 32 bytes, no control characters
	IntervalMS int    `json:"interval_ms"` // how often sensors are read: 100 to 60000
	LED        bool   `json:"led"`
	Units      string `json:"units"` // of temperature: "C" or "F"
}

// A FieldError is what is wrong with one field of a request's JSON.
type FieldError struct {
	Field string `json:"field"`
	Error string `json:"error"`
}

// validate returns what is wrong with c, field by field, in the order of
// its fields; none if it is valid.
func (c *Config) validate() []FieldError {
	var errs []FieldError
	if n := len(c.Name); n < 1 || n > 32 || !printable(c.Name) {
		errs = append(errs, FieldError{"name", "must be 1 to 32 bytes without control characters"})
	}
	if c.IntervalMS < 100 || c.IntervalMS > 60000 {
		errs = append(errs, FieldError{"interval_ms", "must be from 100 to 60000"})
	}
	if c.Units != "C" && c.Units != "F" {
		errs = append(errs, FieldError{"units", `must be "C" or "F"`})
	}
	return errs
}

func printable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return false
		}
	}
	return true
}

// api holds the device's state. Handlers run on the server's loop, one
// at a time, so it needs no lock.
type api struct {
	start  time.Time
	config Config
}

var index = []byte(`{"endpoints":["GET /config","PUT /config","GET /sensors/{id}"],"sensors":["temperature","humidity","light"]}` + "\n")

func (a *api) index(r *biplane.Request) biplane.Response {
	return biplane.Response{ContentType: "application/json", Body: index}
}

func (a *api) getConfig(r *biplane.Request) biplane.Response {
	return web.JSON(200, a.config).WithHeader("Cache-Control", "no-store")
}

// putConfig replaces the configuration with the request's, if it is
// valid, and answers the new one.
func (a *api) putConfig(r *biplane.Request) biplane.Response {
	var c Config
	if err := (web.JSONDecoder{DisallowUnknownFields: true}).Decode(r, &c); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			// A value of the wrong type: say which field.
			return errorResponse(400, "invalid config", []FieldError{{te.Field, "must be " + jsonKind(te.Type)}})
		}
		var we *web.Error
		if errors.As(err, &we) {
			msg := we.Reason
			if we.Err != nil {
				msg += ": " + we.Err.Error()
			}
			return errorResponse(we.Status, msg, nil)
		}
		return errorResponse(500, "internal error", nil)
	}
	if errs := c.validate(); errs != nil {
		return errorResponse(400, "invalid config", errs)
	}
	a.config = c
	return web.JSON(200, a.config).WithHeader("Cache-Control", "no-store")
}

// jsonKind names the JSON values that decode into t.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Float64:
		return "a number"
	}
	return "a " + t.Kind().String()
}

// A Reading is one sensor's value, as GET /sensors/{id} answers it.
type Reading struct {
	ID    string    `json:"id"`
	Value float64   `json:"value"`
	Unit  string    `json:"unit"`
	At    time.Time `json:"at"`
}

// sensor answers a simulated reading: slow waves around plausible values.
func (a *api) sensor(r *biplane.Request) biplane.Response {
	now := time.Now()
	t := now.Sub(a.start).Seconds()
	rd := Reading{ID: r.PathValue("id"), At: now.UTC().Truncate(time.Millisecond)}
	switch rd.ID {
	case "temperature":
		rd.Value, rd.Unit = 21.5+1.5*math.Sin(t/60), "C"
		if a.config.Units == "F" {
			rd.Value, rd.Unit = rd.Value*9/5+32, "F"
		}
	case "humidity":
		rd.Value, rd.Unit = 45+5*math.Sin(t/90), "%"
	case "light":
		rd.Value, rd.Unit = 300+200*math.Sin(t/120), "lx"
	default:
		return errorResponse(404, "no sensor named "+rd.ID, nil)
	}
	rd.Value = math.Round(rd.Value*100) / 100
	return web.JSON(200, rd).WithHeader("Cache-Control", "no-store")
}

// An apiError is the body of every error the API answers.
type apiError struct {
	Status int          `json:"status"`
	Error  string       `json:"error"`
	Fields []FieldError `json:"fields,omitempty"`
}

// errorJSON returns the JSON body of an error, with a final newline.
func errorJSON(status int, msg string, fields []FieldError) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // "<token>" as it is: no browser renders this as HTML
	if err := enc.Encode(apiError{status, msg, fields}); err != nil {
		panic(err) // strings and ints always encode
	}
	return b.Bytes()
}

// errorResponse is an error answered in JSON.
func errorResponse(status int, msg string, fields []FieldError) biplane.Response {
	return biplane.Response{Status: status, ContentType: "application/json", Body: errorJSON(status, msg, fields),
		Header: noStore}
}

var noStore = []biplane.Field{{Name: "Cache-Control", Value: "no-store"}}

// jsonErrors is middleware that makes every error JSON: an error
// response that is not JSON already, such as web.BearerAuth's 401 (its
// WWW-Authenticate field kept), gets a JSON body in place of its text.
func jsonErrors(next biplane.Handler) biplane.Handler {
	return biplane.HandlerFunc(func(r *biplane.Request) biplane.Response {
		resp := next.Respond(r)
		if resp.Status < 400 || resp.ContentType == "application/json" {
			return resp
		}
		msg := biplane.StatusText(resp.Status)
		for _, f := range resp.Header {
			if strings.EqualFold(f.Name, "WWW-Authenticate") {
				msg = authMessage(f.Value)
			}
		}
		resp.ContentType, resp.Body, resp.Stream = "application/json", errorJSON(resp.Status, msg, nil), nil
		return resp
	})
}

// authMessage says in words what a Bearer challenge from web.BearerAuth
// means (RFC 6750 §3.1).
func authMessage(challenge string) string {
	switch challenge {
	case `Bearer error="invalid_token"`:
		return "wrong token"
	case `Bearer error="invalid_request"`:
		return "malformed Authorization field"
	}
	return "this needs a token: Authorization: Bearer <token>"
}

// requestID is middleware that copies a request's X-Request-Id field, if
// it is a short token, to its response, so that a client can match
// answers to requests (CORS exposes it to pages).
func requestID(next biplane.Handler) biplane.Handler {
	return biplane.HandlerFunc(func(r *biplane.Request) biplane.Response {
		resp := next.Respond(r)
		if id := r.Header("X-Request-Id"); len(id) > 0 && len(id) <= 64 && plainID(id) {
			resp = resp.WithHeader("X-Request-Id", string(id))
		}
		return resp
	})
}

// plainID reports whether id holds only letters, digits, '-', '_' and '.'.
func plainID(id []byte) bool {
	for _, c := range id {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}
