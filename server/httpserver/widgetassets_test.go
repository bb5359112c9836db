package httpserver

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/prometheus/client_golang/prometheus"
)

const (
	testLoader   = "/*portico loader*/(()=>{console.log('widget')})();"
	testWasmName = "widget.0123456789ab.wasm"
	testExecName = "wasm_exec.ba9876543210.js"
)

var testWasm = append([]byte("\x00asm\x01\x00\x00\x00"), bytes.Repeat([]byte{0}, 2048)...)

func widgetGzip(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// builtWidget is a widget/dist as build.mjs writes it; the .br files only
// need to be told apart from the others here.
func builtWidget(t *testing.T) fstest.MapFS {
	return fstest.MapFS{
		".gitkeep": {Data: nil},
		"manifest.json": {Data: []byte(`{"widget.wasm":"` + testWasmName + `","wasm_exec.js":"` + testExecName +
			`","widget.js":"widget.js"}`)},
		"widget.js":              {Data: []byte(testLoader)},
		"widget.js.br":           {Data: []byte("BR-loader")},
		"widget.js.gz":           {Data: widgetGzip(t, []byte(testLoader))},
		testWasmName:             {Data: testWasm},
		testWasmName + ".br":     {Data: []byte("BR-wasm")},
		testWasmName + ".gz":     {Data: widgetGzip(t, testWasm)},
		testExecName:             {Data: []byte("document.currentScript.p=()=>{}")},
		"widget.old.wasm":        {Data: []byte("not in the manifest")},
		"manifest.json.whatever": {Data: []byte("x")},
	}
}

func newWidgetTestServer(t *testing.T, dist fstest.MapFS) *Server {
	t.Helper()
	o := Options{
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		Registry: prometheus.NewRegistry(),
		Ready:    func(context.Context) error { return nil },
	}
	if dist != nil {
		o.WidgetAssets = dist
	}
	return New(o)
}

func widgetGet(t *testing.T, app *Server, path string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := app.Test(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	return res, body
}

func TestWidgetLoader(t *testing.T) {
	app := newWidgetTestServer(t, builtWidget(t))
	for _, path := range []string{"/support/widget/widget.js", "/escalated-widget.js", "/support/widget/escalated-widget.js"} {
		res, body := widgetGet(t, app, path)
		if res.StatusCode != 200 || string(body) != testLoader {
			t.Fatalf("%s: %d %q", path, res.StatusCode, body)
		}
		want := map[string]string{
			"Content-Type":                 "text/javascript; charset=utf-8",
			"Cache-Control":                widgetCacheLoader,
			"Access-Control-Allow-Origin":  "*",
			"Cross-Origin-Resource-Policy": "cross-origin",
			"Vary":                         "Accept-Encoding",
			"Content-Encoding":             "",
		}
		for k, v := range want {
			if got := res.Header.Get(k); got != v {
				t.Errorf("%s: %s = %q, want %q", path, k, got, v)
			}
		}
	}
	if strings.Contains(widgetCacheLoader, "immutable") {
		t.Error("the loader has a stable URL and must not be immutable")
	}
}

func TestWidgetEncodingNegotiation(t *testing.T) {
	app := newWidgetTestServer(t, builtWidget(t))
	tests := []struct {
		accept, encoding, body string
	}{
		{"gzip, deflate, br, zstd", "br", "BR-wasm"},
		{"br;q=1.0, gzip;q=0.8", "br", "BR-wasm"},
		{"gzip", "gzip", ""},
		{"br;q=0, gzip", "gzip", ""},
		{"br;q=0, gzip;q=0", "", string(testWasm)},
		{"", "", string(testWasm)},
		{"identity", "", string(testWasm)},
		{"*", "br", "BR-wasm"},
		{"*;q=0, gzip", "gzip", ""},
		{"BR", "br", "BR-wasm"},
	}
	for _, tc := range tests {
		res, body := widgetGet(t, app, "/support/widget/"+testWasmName, "Accept-Encoding", tc.accept)
		if res.StatusCode != 200 {
			t.Fatalf("%q: status %d", tc.accept, res.StatusCode)
		}
		if got := res.Header.Get("Content-Encoding"); got != tc.encoding {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q, want %q", tc.accept, got, tc.encoding)
		}
		if tc.encoding == "gzip" {
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			plain, _ := io.ReadAll(zr)
			if !bytes.Equal(plain, testWasm) {
				t.Errorf("%q: gzip body does not decode to the wasm", tc.accept)
			}
		} else if string(body) != tc.body {
			t.Errorf("Accept-Encoding %q: body %q…", tc.accept, body[:min(len(body), 12)])
		}
		if res.Header.Get("Vary") != "Accept-Encoding" {
			t.Errorf("%q: Vary = %q", tc.accept, res.Header.Get("Vary"))
		}
	}
}

func TestWidgetHashedAssets(t *testing.T) {
	app := newWidgetTestServer(t, builtWidget(t))
	res, _ := widgetGet(t, app, "/support/widget/"+testWasmName)
	for k, v := range map[string]string{
		"Content-Type":                "application/wasm",
		"Cache-Control":               "public, max-age=31536000, immutable",
		"Access-Control-Allow-Origin": "*",
		"X-Content-Type-Options":      "nosniff",
	} {
		if got := res.Header.Get(k); got != v {
			t.Errorf("wasm: %s = %q, want %q", k, got, v)
		}
	}
	etag := res.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	if res, _ := widgetGet(t, app, "/support/widget/"+testWasmName, "If-None-Match", etag); res.StatusCode != 304 {
		t.Errorf("If-None-Match: status %d, want 304", res.StatusCode)
	}

	res, body := widgetGet(t, app, "/support/widget/"+testExecName, "Accept-Encoding", "br")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/javascript; charset=utf-8" ||
		res.Header.Get("Cache-Control") != widgetCacheHashed || res.Header.Get("Content-Encoding") != "" || len(body) == 0 {
		t.Errorf("runtime without compressed siblings: %d %v %q", res.StatusCode, res.Header, body)
	}

	for _, path := range []string{
		"/support/widget/widget.old.wasm", // on disk but not in the manifest
		"/support/widget/manifest.json",
		"/support/widget/manifest.json.whatever",
		"/support/widget/.gitkeep",
		"/support/widget/widget.js.br",
		"/support/widget/..%2fmanifest.json",
	} {
		if res, _ := widgetGet(t, app, path); res.StatusCode != 404 {
			t.Errorf("%s: status %d, want 404", path, res.StatusCode)
		}
	}
}

func TestWidgetNotBuilt(t *testing.T) {
	for name, dist := range map[string]fstest.MapFS{
		"nil":       nil,
		"gitkeep":   {".gitkeep": {Data: nil}},
		"bad json":  {"manifest.json": {Data: []byte("{")}, "widget.js": {Data: []byte(testLoader)}},
		"no loader": {"manifest.json": {Data: []byte(`{"widget.js":"widget.js"}`)}},
	} {
		app := newWidgetTestServer(t, dist)
		for _, path := range []string{"/support/widget/widget.js", "/escalated-widget.js"} {
			res, body := widgetGet(t, app, path)
			if res.StatusCode != 200 || !strings.Contains(string(body), "portico widget not built: run make build") ||
				!strings.HasPrefix(string(body), "console.warn(") {
				t.Errorf("%s %s: %d %q", name, path, res.StatusCode, body)
			}
			if res.Header.Get("Content-Type") != "text/javascript; charset=utf-8" || res.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("%s %s: headers %v", name, path, res.Header)
			}
		}
		if res, _ := widgetGet(t, app, "/support/widget/"+testWasmName); res.StatusCode != 404 {
			t.Errorf("%s: wasm status %d, want 404", name, res.StatusCode)
		}
	}
}

func TestWidgetEncodingParser(t *testing.T) {
	if got := widgetEncoding("br", false, true); got != "" {
		t.Errorf("br only, no .br file: %q", got)
	}
	if got := widgetEncoding("x-gzip", true, true); got != "gzip" {
		t.Errorf("x-gzip: %q", got)
	}
	if got := widgetEncoding("gzip;q=0.001", false, true); got != "gzip" {
		t.Errorf("small q: %q", got)
	}
	if got := widgetEncoding("gzip;q=abc", false, true); got != "" {
		t.Errorf("bad q: %q", got)
	}
}
