package examples_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// apiError is the body of every error examples/api answers.
type apiError struct {
	Status int    `json:"status"`
	Error  string `json:"error"`
	Fields []struct {
		Field string `json:"field"`
		Error string `json:"error"`
	} `json:"fields"`
}

// checkJSONError checks that resp is an error with status, in JSON: the
// Content-Type says so and the body is an object with that status and a
// message. It returns the decoded body.
func checkJSONError(t *testing.T, what string, resp *http.Response, status int) apiError {
	t.Helper()
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	var e apiError
	if resp.StatusCode != status || resp.Header.Get("Content-Type") != "application/json" ||
		json.Unmarshal(body, &e) != nil || e.Status != status || e.Error == "" {
		t.Errorf("%s: got %d %q %q, want %d and a JSON error", what, resp.StatusCode, resp.Header.Get("Content-Type"), body, status)
	}
	return e
}

// rawExchange sends raw bytes on a new connection to addr and reads one
// response with net/http's parser.
func rawExchange(t *testing.T, addr, raw string) *http.Response {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := c.Write([]byte(raw)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("%q: %v", raw, err)
	}
	return resp
}

// TestAPI runs examples/api with a token, one CORS origin and a 1 KiB
// body limit, and checks with net/http, curl and raw TCP that every
// error is JSON, the server's own refusals included, that writes need
// the token, that a write is read back, and the CORS answers to
// preflights.
func TestAPI(t *testing.T) {
	const origin = "http://127.0.0.1:8080"
	addr, cmd, _ := run(t, "api", "-token", "s3cret", "-cors-origin", origin, "-max-body", "1024")
	base := "http://" + addr
	do := func(method, path, body string, fields ...string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		for i := 0; i+1 < len(fields); i += 2 {
			req.Header.Set(fields[i], fields[i+1])
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	const valid = `{"name":"greenhouse","interval_ms":500,"led":true,"units":"F"}`

	t.Run("413 over the body limit, JSON (raw TCP)", func(t *testing.T) {
		resp := rawExchange(t, addr, "PUT /config HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer s3cret\r\n"+
			"Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n{")
		e := checkJSONError(t, "413", resp, 413)
		if !resp.Close || !strings.Contains(e.Error, "too large") {
			t.Errorf("413: close %v, error %q", resp.Close, e.Error)
		}
	})
	t.Run("400 malformed request line, JSON (raw TCP)", func(t *testing.T) {
		checkJSONError(t, "400", rawExchange(t, addr, "GET /config HTTP/1.1 extra\r\nHost: a\r\n\r\n"), 400)
	})
	t.Run("431 header too large, JSON (raw TCP)", func(t *testing.T) {
		checkJSONError(t, "431", rawExchange(t, addr, "GET /config HTTP/1.1\r\nHost: a\r\nX: "+strings.Repeat("x", 9000)+"\r\n\r\n"), 431)
	})
	t.Run("404 JSON", func(t *testing.T) {
		checkJSONError(t, "/nope", do("GET", "/nope", ""), 404)
		checkJSONError(t, "/sensors/pressure", do("GET", "/sensors/pressure", ""), 404)
	})
	t.Run("405 JSON with Allow", func(t *testing.T) {
		for _, m := range []string{"DELETE", "POST", "PATCH"} {
			resp := do(m, "/config", "")
			allow := resp.Header.Get("Allow")
			checkJSONError(t, m, resp, 405)
			if !strings.Contains(allow, "GET") || !strings.Contains(allow, "PUT") {
				t.Errorf("%s /config: Allow %q, want GET and PUT", m, allow)
			}
		}
	})
	t.Run("PUT without or with a wrong token: 401 JSON", func(t *testing.T) {
		for _, tc := range []struct{ name, auth string }{{"none", ""}, {"wrong", "Bearer wrong"}, {"other scheme", "Basic czNjcmV0"}} {
			fields := []string{"Content-Type", "application/json"}
			if tc.auth != "" {
				fields = append(fields, "Authorization", tc.auth)
			}
			resp := do("PUT", "/config", valid, fields...)
			challenge := resp.Header.Get("WWW-Authenticate")
			checkJSONError(t, tc.name, resp, 401)
			if !strings.HasPrefix(challenge, "Bearer") {
				t.Errorf("%s: WWW-Authenticate %q", tc.name, challenge)
			}
		}
		// And nothing changed.
		resp := do("GET", "/config", "")
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(body), "greenhouse") {
			t.Errorf("config after refused writes: %s", body)
		}
	})
	t.Run("invalid config: 400 JSON listing the fields", func(t *testing.T) {
		for _, tc := range []struct{ body, fields string }{
			{`{"name":"","interval_ms":5,"led":true,"units":"K"}`, "name interval_ms units"},
			{`{"name":"x","interval_ms":"fast","led":true,"units":"C"}`, "interval_ms"},
			{`{"name":"x","interval_ms":100,"led":"yes","units":"C"}`, "led"},
		} {
			e := checkJSONError(t, tc.body, do("PUT", "/config", tc.body, "Authorization", "Bearer s3cret", "Content-Type", "application/json"), 400)
			var names []string
			for _, f := range e.Fields {
				names = append(names, f.Field)
			}
			if strings.Join(names, " ") != tc.fields {
				t.Errorf("%s: fields %q, want %q", tc.body, names, tc.fields)
			}
		}
		checkJSONError(t, "not JSON", do("PUT", "/config", "{", "Authorization", "Bearer s3cret", "Content-Type", "application/json"), 400)
		checkJSONError(t, "unknown field", do("PUT", "/config", `{"name":"x","colour":"red"}`, "Authorization", "Bearer s3cret", "Content-Type", "application/json"), 400)
		checkJSONError(t, "text/plain", do("PUT", "/config", valid, "Authorization", "Bearer s3cret", "Content-Type", "text/plain"), 415)
	})
	t.Run("valid PUT, then GET returns it", func(t *testing.T) {
		resp := do("PUT", "/config", valid, "Authorization", "Bearer s3cret", "Content-Type", "application/json")
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != valid {
			t.Fatalf("PUT: %d %s", resp.StatusCode, body)
		}
		resp = do("GET", "/config", "")
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" || strings.TrimSpace(string(body)) != valid {
			t.Fatalf("GET after PUT: %d %q %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		// The units apply to the temperature sensor.
		resp = do("GET", "/sensors/temperature", "")
		var rd struct {
			ID    string
			Value float64
			Unit  string
		}
		err := json.NewDecoder(resp.Body).Decode(&rd)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || rd.ID != "temperature" || rd.Unit != "F" || rd.Value < 60 || rd.Value > 80 {
			t.Errorf("temperature: %d %+v %v", resp.StatusCode, rd, err)
		}
	})
	t.Run("curl", func(t *testing.T) {
		curl, err := exec.LookPath("curl")
		if err != nil {
			t.Skip("curl not installed")
		}
		out, err := exec.Command(curl, "-sS", "--max-time", "20", "-X", "PUT", "-H", "Authorization: Bearer s3cret",
			"-H", "Content-Type: application/json", "--data-binary", `{"name":"curl","interval_ms":100,"led":false,"units":"C"}`,
			"-w", "\n%{http_code} %{content_type}\n", base+"/config",
			"--next", "-sS", "--max-time", "20", "-w", "%{http_code} %{content_type}", base+"/nope").Output()
		if err != nil {
			t.Fatal(err)
		}
		want := `{"name":"curl","interval_ms":100,"led":false,"units":"C"}` + "\n\n200 application/json\n" +
			`{"status":404,"error":"no such resource: /nope"}` + "\n404 application/json"
		if string(out) != want {
			t.Errorf("curl printed\n%s\nwant\n%s", out, want)
		}
	})
	t.Run("preflight: CORS fields for the allowed origin only", func(t *testing.T) {
		preflight := func(from string) *http.Response {
			resp := do("OPTIONS", "/config", "", "Origin", from, "Access-Control-Request-Method", "PUT",
				"Access-Control-Request-Headers", "authorization,content-type,x-request-id")
			resp.Body.Close()
			return resp
		}
		resp := preflight(origin)
		h := resp.Header
		if resp.StatusCode != 204 || h.Get("Access-Control-Allow-Origin") != origin ||
			h.Get("Access-Control-Allow-Methods") != "PUT" ||
			h.Get("Access-Control-Allow-Headers") != "Authorization, Content-Type, X-Request-Id" ||
			h.Get("Access-Control-Max-Age") != "600" || !strings.Contains(h.Get("Vary"), "Origin") {
			t.Errorf("allowed origin's preflight: %d %v", resp.StatusCode, h)
		}
		for _, other := range []string{"http://127.0.0.1:8081", "http://127.0.0.2:8080", "https://evil.example", "null"} {
			resp := preflight(other)
			for name := range resp.Header {
				if strings.HasPrefix(name, "Access-Control-") {
					t.Errorf("preflight from %s: %s: %s", other, name, resp.Header.Get(name))
				}
			}
			if resp.StatusCode != 204 {
				t.Errorf("preflight from %s: %d", other, resp.StatusCode)
			}
		}
		// The request itself: the allowed origin may read the answer, and
		// the X-Request-Id it sent, exposed.
		resp = do("GET", "/config", "", "Origin", origin, "X-Request-Id", "r-42")
		resp.Body.Close()
		if h := resp.Header; h.Get("Access-Control-Allow-Origin") != origin || h.Get("X-Request-Id") != "r-42" ||
			h.Get("Access-Control-Expose-Headers") != "X-Request-Id" {
			t.Errorf("GET from the allowed origin: %v", h)
		}
		resp = do("GET", "/config", "", "Origin", "https://evil.example")
		resp.Body.Close()
		if v := resp.Header.Get("Access-Control-Allow-Origin"); v != "" {
			t.Errorf("GET from another origin: Access-Control-Allow-Origin %q", v)
		}
	})

	// SIGTERM drains and exits 0.
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("api after SIGTERM: %v", err)
	}
}

// TestAPINoToken: without -token, writes are refused with 403 JSON.
func TestAPINoToken(t *testing.T) {
	addr, _, _ := run(t, "api")
	req, _ := http.NewRequest("PUT", "http://"+addr+"/config", strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer anything")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	checkJSONError(t, "PUT without -token", resp, 403)
}

// TestAPILog: with -log, one Common Log Format line per response, the
// server's own 413 included.
func TestAPILog(t *testing.T) {
	addr, _, lines := run(t, "api", "-log", "-max-body", "10")
	resp, err := client.Get("http://" + addr + "/config")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	rawExchange(t, addr, "PUT /config HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n").Body.Close()
	for _, want := range []string{`"GET /config HTTP/1.1" 200 `, `"PUT /config HTTP/1.1" 413 `} {
		if !lines.Scan() {
			t.Fatalf("no log line for %s", want)
		}
		if !strings.Contains(lines.Text(), want) || !strings.HasPrefix(lines.Text(), "127.0.0.1 - - [") {
			t.Errorf("log line %q, want one with %s", lines.Text(), want)
		}
	}
}

// TestAPIBadOrigin: an -cors-origin that is not an origin is a usage
// error, said before serving.
func TestAPIBadOrigin(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "api")
	if out, err := exec.Command("go", "build", "-o", bin, "./api").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "-addr", "127.0.0.1:0", "-cors-origin", "http://127.0.0.1:8080/").CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(string(out), "not an origin") {
		t.Errorf("got %v: %s", err, out)
	}
}
