package attachments

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime/multipart"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/server/model"
)

func newTestService(t *testing.T, now func() time.Time) (*Service, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := New(Options{Storage: model.StorageDisk, Dir: dir, BaseURL: "https://help.example.com/", Key: []byte("k"), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return s, dir
}

func TestSanitizeFilename(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 300) + ".pdf"
	for in, want := range map[string]string{
		"screen.png":                "screen.png",
		"../../etc/passwd":          "passwd",
		`C:\Users\ada\report.pdf`:   "report.pdf",
		"..":                        "file",
		".htaccess":                 "htaccess",
		"  spaced\tname .txt ":      "spaced name .txt",
		"evil\u202egnp.exe":         "evilgnp.exe",
		"nul\x00byte\x1b[31m.txt":   "nulbyte[31m.txt",
		"":                          "file",
		"bad\xffutf8.txt":           "bad\uFFFDutf8.txt",
		"line\u2028break\ufeff.txt": "line break.txt",
		"dir/":                      "file",
		"quote\"and'semi;colon.txt": "quote\"and'semi;colon.txt",
		long:                        strings.Repeat("é", MaxFilename-4) + ".pdf",
		strings.Repeat("a", 250) + ".x" + strings.Repeat("y", 20): strings.Repeat("a", MaxFilename),
	} {
		if got := SanitizeFilename(in); got != want {
			t.Errorf("SanitizeFilename(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSignedLinks(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { return now }
	s, _ := newTestService(t, clock)
	link := s.SignedURL(42)
	if !strings.HasPrefix(link, "https://help.example.com/support/attachments/42?exp=") {
		t.Fatalf("link = %q", link)
	}
	exp := fmt.Sprint(now.Add(DefaultLinkTTL).Unix())
	sig := link[strings.Index(link, "sig=")+4:]
	if err := s.Verify(42, exp, sig); err != nil {
		t.Fatalf("own link: %v", err)
	}
	other, _ := New(Options{Storage: model.StorageDisk, Dir: t.TempDir(), Key: []byte("other"), Now: clock})
	for name, c := range map[string]struct {
		id       int64
		exp, sig string
	}{
		"another id":      {43, exp, sig},
		"another expiry":  {42, fmt.Sprint(now.Add(DefaultLinkTTL).Unix() + 1), sig},
		"flipped bit":     {42, exp, strings.Replace(sig, sig[:1], string("0123456789abcdef"[(strings.IndexByte("0123456789abcdef", sig[0])+1)%16]), 1)},
		"short":           {42, exp, sig[:62]},
		"not hex":         {42, exp, strings.Repeat("z", 64)},
		"empty":           {42, exp, ""},
		"another key":     {42, exp, other.sign(42, exp)},
		"expiry not a nr": {42, "soon", s.sign(42, "soon")},
	} {
		if err := s.Verify(c.id, c.exp, c.sig); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: %v, want ErrBadSignature", name, err)
		}
	}
	now = now.Add(DefaultLinkTTL)
	if err := s.Verify(42, exp, sig); !errors.Is(err, ErrLinkExpired) {
		t.Errorf("at expiry: %v, want ErrLinkExpired", err)
	}
}

type part struct {
	name, filename string
	data           []byte
}

func body(t *testing.T, parts ...part) (string, []byte) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		cd := `form-data; name="` + p.name + `"`
		if p.filename != "-" {
			cd += `; filename="` + p.filename + `"`
		}
		h.Set("Content-Disposition", cd)
		pw, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		pw.Write(p.data)
	}
	w.Close()
	return w.Boundary(), b.Bytes()
}

func staged(t *testing.T, dir string) int {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, "tmp"))
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

func TestReadForm(t *testing.T) {
	t.Parallel()
	s, dir := newTestService(t, time.Now)
	ctx := context.Background()
	png := []byte("\x89PNG\r\n\x1a\nrest")

	boundary, b := body(t, part{"email", "-", []byte("ada@example.com")}, part{"files", "a.png", png},
		part{"files", "", nil}, part{"files", "../b.txt", []byte("hello")})
	f, err := s.ReadForm(ctx, bytes.NewReader(b), boundary)
	if err != nil {
		t.Fatal(err)
	}
	if f.Value("email") != "ada@example.com" || len(f.Files) != 2 {
		t.Fatalf("form = %+v", f)
	}
	if a := f.Files[0]; a.Name != "a.png" || a.Type != "image/png" || a.Size != int64(len(png)) || len(a.SHA256) != 64 {
		t.Errorf("file 0 = %+v", a)
	}
	if b := f.Files[1]; b.Name != "b.txt" || b.Type != "text/plain; charset=utf-8" {
		t.Errorf("file 1 = %+v (the empty file input is skipped)", b)
	}
	if n := staged(t, dir); n != 2 {
		t.Errorf("%d staged files, want 2", n)
	}
	f.Committed() // nothing placed: Close only removes what is staged
	f.Close(ctx)
	if n := staged(t, dir); n != 0 {
		t.Errorf("%d staged files after Close", n)
	}

	var tooLarge *TooLargeError
	var fields model.FieldErrors
	six := []part{}
	for i := range 6 {
		six = append(six, part{"files", fmt.Sprint(i, ".txt"), []byte("x")})
	}
	for name, c := range map[string]struct {
		parts []part
		check func(error) bool
	}{
		"six files":        {six, func(err error) bool { return errors.As(err, &fields) && strings.Contains(fields["files"], "at most 5") }},
		"a file of 10 MB+": {[]part{{"files", "big", make([]byte, MaxFileSize+1)}}, func(err error) bool { return errors.As(err, &tooLarge) }},
		"over 25 MB":       {[]part{{"files", "a", make([]byte, MaxFileSize)}, {"files", "b", make([]byte, MaxFileSize)}, {"files", "c", make([]byte, MaxTotal-2*MaxFileSize+1)}}, func(err error) bool { return errors.As(err, &tooLarge) }},
		"a long field":     {[]part{{"description", "-", make([]byte, maxTextField+1)}}, func(err error) bool { return errors.As(err, &tooLarge) }},
		"many parts": {func() []part {
			p := make([]part, maxParts+1)
			for i := range p {
				p[i] = part{"x", "-", nil}
			}
			return p
		}(), func(err error) bool { return errors.As(err, &tooLarge) }},
	} {
		boundary, b := body(t, c.parts...)
		if _, err := s.ReadForm(ctx, bytes.NewReader(b), boundary); !c.check(err) {
			t.Errorf("%s: %v", name, err)
		}
		if n := staged(t, dir); n != 0 {
			t.Errorf("%s: %d staged files left", name, n)
		}
	}
	// A body that never ends is cut at MaxFormBody.
	boundary, b = body(t, part{"junk", "-", nil})
	endless := &repeat{b: bytes.TrimSuffix(b, []byte("--"+boundary+"--\r\n"))}
	if _, err := s.ReadForm(ctx, endless, boundary); !errors.As(err, &tooLarge) || endless.n > MaxFormBody+64<<10 {
		t.Errorf("endless body: %v after %d bytes", err, endless.n)
	}
	if _, err := s.ReadForm(ctx, strings.NewReader("--x\r\nbroken"), "x"); !errors.Is(err, ErrMalformed) {
		t.Errorf("broken body: %v", err)
	}
}

// repeat is b, then zeros for ever.
type repeat struct {
	b []byte
	n int
}

func (r *repeat) Read(p []byte) (int, error) {
	n := 0
	if r.n < len(r.b) {
		n = copy(p, r.b[r.n:])
	} else {
		clear(p)
		n = len(p)
	}
	r.n += n
	return n, nil
}

func TestMediaTypeAndImages(t *testing.T) {
	t.Parallel()
	if !IsImage("image/png") || !IsImage("IMAGE/JPEG; x=y") || IsImage("image/svg+xml") || IsImage("text/html") {
		t.Error("IsImage")
	}
	if mediaType("Text/HTML; charset=utf-8") != "text/html" {
		t.Error("mediaType")
	}
}
