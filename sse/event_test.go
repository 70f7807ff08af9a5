package sse

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// normalize turns every CRLF and CR in s into LF, as an EventSource sees
// data (HTML §9.2.5).
func normalize(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

var encodeCases = []struct {
	name string
	ev   Event
	want string
}{
	{"data", Event{Data: "hello"}, "data: hello\n\n"},
	{"empty data is still dispatched", Event{}, "data:\n\n"},
	{"LF splits data lines", Event{Data: "a\nb"}, "data: a\ndata: b\n\n"},
	{"CRLF, CR and LF", Event{Data: "a\r\nb\rc\nd"}, "data: a\ndata: b\ndata: c\ndata: d\n\n"},
	{"trailing LF", Event{Data: "a\n"}, "data: a\ndata:\n\n"},
	{"trailing CR", Event{Data: "a\r"}, "data: a\ndata:\n\n"},
	{"only line breaks", Event{Data: "\r\n\r\n"}, "data:\ndata:\ndata:\n\n"},
	{"CR CR is two lines", Event{Data: "\r\r"}, "data:\ndata:\ndata:\n\n"},
	{"LF CR is two lines", Event{Data: "\n\r"}, "data:\ndata:\ndata:\n\n"},
	{"leading space kept", Event{Data: " x"}, "data:  x\n\n"},
	{"colon in data", Event{Data: "k: v"}, "data: k: v\n\n"},
	{"NUL in data", Event{Data: "a\x00b"}, "data: a\x00b\n\n"},
	{"all fields", Event{Type: "reading", ID: "42", Data: "21.5", Retry: 2500 * time.Millisecond},
		"id: 42\nevent: reading\nretry: 2500\ndata: 21.5\n\n"},
	{"retry rounds down to milliseconds", Event{Retry: 1999 * time.Microsecond}, "retry: 1\ndata:\n\n"},
	{"negative retry not sent", Event{Retry: -time.Second}, "data:\n\n"},
	{"NUL in type", Event{Type: "a\x00"}, "event: a\x00\ndata:\n\n"},
	{"colon and space in id", Event{ID: " a:b"}, "id:  a:b\ndata:\n\n"},
}

// TestAppendEvent checks the wire format (HTML §9.2.5) and that a
// spec-conformant parser reads back the event (§9.2.6).
func TestAppendEvent(t *testing.T) {
	for _, tc := range encodeCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := AppendEvent([]byte("x"), tc.ev)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != "x"+tc.want {
				t.Fatalf("got %q, want %q", got, "x"+tc.want)
			}
			checkRoundTrip(t, tc.ev, got[1:])
		})
	}
}

// checkRoundTrip parses the encoding enc of ev and checks that it is one
// event with ev's fields, and that it has the shape the subscriber's
// queue relies on: it ends with the only empty line in it.
func checkRoundTrip(t *testing.T, ev Event, enc []byte) {
	t.Helper()
	s := string(enc)
	if !strings.HasSuffix(s, "\n\n") || strings.Index(s, "\n\n") != len(s)-2 || s[0] == '\n' {
		t.Fatalf("%q: not one block ending with its only empty line", s)
	}
	p := parseStream(s)
	if len(p.events) != 1 || len(p.comments) != 0 {
		t.Fatalf("%q parsed as %d events, %d comments; want 1 event", s, len(p.events), len(p.comments))
	}
	want := specEvent{Type: ev.Type, Data: normalize(ev.Data), LastID: ev.ID, Retry: -1}
	if want.Type == "" {
		want.Type = "message"
	}
	if ev.Retry > 0 {
		want.Retry = ev.Retry.Milliseconds()
	}
	if got := p.events[0]; got != want {
		t.Fatalf("%q parsed as %+v, want %+v", s, got, want)
	}
}

// TestAppendEventInvalid refuses a type or ID that would break the
// framing, and an ID with NUL, which clients ignore (HTML §9.2.6).
func TestAppendEventInvalid(t *testing.T) {
	for _, ev := range []Event{
		{Type: "a\nb"}, {Type: "a\r"}, {Type: "\r\n"},
		{ID: "1\n"}, {ID: "\r1"}, {ID: "1\x002"},
		{Type: "ok", ID: "a\nb", Data: "x"},
	} {
		got, err := AppendEvent([]byte("keep"), ev)
		if !errors.Is(err, ErrInvalidEvent) {
			t.Errorf("%+v: error %v, want ErrInvalidEvent", ev, err)
		}
		if string(got) != "keep" {
			t.Errorf("%+v: dst changed to %q", ev, got)
		}
		if err != nil && !strings.Contains(err.Error(), "sse: invalid event: ") {
			t.Errorf("%+v: error %q does not say what was wrong", ev, err)
		}
	}
}

// FuzzAppendEvent: every event is either refused, exactly when its type
// or ID holds what the format cannot carry, or encoded so that a
// spec-conformant parser reads back the same event.
func FuzzAppendEvent(f *testing.F) {
	for _, tc := range encodeCases {
		f.Add(tc.ev.Type, tc.ev.ID, tc.ev.Data, int64(tc.ev.Retry))
	}
	f.Add("a\nb", "", "", int64(0))
	f.Add("", "\x00", "", int64(0))
	f.Add("", "", "\xef\xbb\xbfx\r", int64(1))
	f.Fuzz(func(t *testing.T, typ, id, data string, retry int64) {
		ev := Event{Type: typ, ID: id, Data: data, Retry: time.Duration(retry)}
		enc, err := AppendEvent(nil, ev)
		invalid := strings.ContainsAny(typ, "\r\n") || strings.ContainsAny(id, "\r\n\x00")
		if invalid {
			if !errors.Is(err, ErrInvalidEvent) || len(enc) != 0 {
				t.Fatalf("%+v: got %q, %v; want ErrInvalidEvent", ev, enc, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("%+v: %v", ev, err)
		}
		checkRoundTrip(t, ev, enc)
	})
}

// TestSpecParser checks the test's own parser against examples from HTML
// §9.2.6, so that the tests that rely on it rely on something right.
func TestSpecParser(t *testing.T) {
	cases := []struct {
		stream   string
		events   []specEvent
		comments int
	}{
		{"data: YHOO\ndata: +2\ndata: 10\n\n", []specEvent{{"message", "YHOO\n+2\n10", "", -1}}, 0},
		{": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n",
			[]specEvent{{"message", "first event", "1", -1}, {"message", "second event", "", -1}}, 1},
		{"data\n\ndata\ndata\n\ndata:", []specEvent{{"message", "", "", -1}, {"message", "\n", "", -1}}, 0},
		{"data:test\n\ndata: test\n\n", []specEvent{{"message", "test", "", -1}, {"message", "test", "", -1}}, 0},
		{"\uFEFFevent: add\r\ndata: 1\r\rretry: 10x\nretry: 20\rid: a\x00\rdata: 2\r\n\r\n",
			[]specEvent{{"add", "1", "", -1}, {"message", "2", "", 20}}, 0},
		{"event: x\n\ndata: y\n\n", []specEvent{{"message", "y", "", -1}}, 0},
	}
	for _, tc := range cases {
		// Whole, and one byte at a time: CRLF split across reads.
		for _, split := range []bool{false, true} {
			p := newSpecParser()
			if split {
				for i := range len(tc.stream) {
					p.feed([]byte{tc.stream[i]})
				}
			} else {
				p.feed([]byte(tc.stream))
			}
			if len(p.events) != len(tc.events) || len(p.comments) != tc.comments {
				t.Fatalf("%q: %+v and %d comments, want %+v and %d", tc.stream, p.events, len(p.comments), tc.events, tc.comments)
			}
			for i := range tc.events {
				if p.events[i] != tc.events[i] {
					t.Errorf("%q: event %d: %+v, want %+v", tc.stream, i, p.events[i], tc.events[i])
				}
			}
		}
	}
}
