package app_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/redis/go-redis/v9"

	"github.com/portico/portico/server/app"
	"github.com/portico/portico/server/dbtest"
	"github.com/portico/portico/server/github/githubtest"
	"github.com/portico/portico/server/mail"
	"github.com/portico/portico/server/mailtest"
	"github.com/portico/portico/server/store"
)

// testRedisURL is the test Redis (PORTICO_TEST_REDIS_URL, default
// 127.0.0.1:6379 database 0). The test is skipped when it does not answer,
// or fails under CI=true. The app itself starts without Redis (it falls
// back to per-instance limits), so it cannot serve as the probe.
func testRedisURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("PORTICO_TEST_REDIS_URL")
	if u == "" {
		u = "redis://127.0.0.1:6379/0"
	}
	opts, err := redis.ParseURL(u)
	if err != nil {
		t.Fatalf("PORTICO_TEST_REDIS_URL: %v", err)
	}
	opts.DialTimeout, opts.MaxRetries = time.Second, -1
	c := redis.NewClient(opts)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		dbtest.Unavailable(t, "Redis at "+u, err)
	}
	return u
}

// instance is one serving app of a scale-out test, reached over real HTTP.
type instance struct {
	*app.App
	base string
}

// serveInstance starts an app on its own listener.
func serveInstance(t *testing.T, vars map[string]string, deps app.Deps) instance {
	t.Helper()
	a := newApp(t, vars, deps)
	ln := listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-served })
	return instance{App: a, base: "http://" + ln.Addr().String()}
}

// call sends one request to an instance.
func (in instance) call(t *testing.T, method, path, body string, header map[string]string) response {
	t.Helper()
	hr, err := http.NewRequest(method, in.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		hr.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Errorf("%s %s: %v", method, path, err)
		return response{}
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// randomIP is a client address no other test or run shares: Redis (and the
// budgets in it) outlives the test databases.
func randomIP() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("10.%d.%d.%d", b[0], b[1], b[2])
}

func from(ip string) map[string]string { return map[string]string{"X-Forwarded-For": ip} }

// TestScaleOut runs two instances on one PostgreSQL database and one Redis,
// each serving HTTP and working jobs, synced to one (fake) GitHub, and checks
// what must hold across them: rate limits, jobs run once (mails and GitHub
// calls), a webhook delivered to both is processed once, sessions and
// settings.
func TestScaleOut(t *testing.T) {
	t.Parallel()
	redisURL := testRedisURL(t)
	mt := mailtest.Start(t)
	gh := githubtest.Start(t, "acme/support")
	gh.SetPermission("grace", "write")
	vars := env(t, store.Postgres)
	vars["PORTICO_GITHUB_REPOSITORY"] = gh.Repository()
	vars["PORTICO_GITHUB_TOKEN"] = gh.Token
	vars["PORTICO_GITHUB_API_URL"] = gh.URL()
	vars["PORTICO_GITHUB_WEBHOOK_SECRET"] = ghSecret
	vars["PORTICO_REDIS_URL"] = redisURL
	vars["PORTICO_TRUSTED_PROXIES"] = "127.0.0.1/32"
	vars["PORTICO_WIDGET_LIMIT_PER_IP"] = "6/1h"
	vars["PORTICO_MAIL_URL"] = mt.URL()
	vars["PORTICO_MAIL_FROM"] = "Acme Support <help@acme.test>"
	nodes := []instance{serveInstance(t, vars, app.Deps{}), serveInstance(t, vars, app.Deps{})}
	filed := 0

	// Jobs run once: 20 tickets alternating between the instances, each
	// confirmed by one mail.
	for i := range 20 {
		r := nodes[i%2].call(t, "POST", "/support/widget/tickets", ticketBody(fmt.Sprintf("job%d-%s@example.com", i, dbtest.Name())), from(randomIP()))
		if r.Status != 201 {
			t.Fatalf("ticket %d: %d %s", i, r.Status, r.Body)
		}
		filed++
	}

	// The per-IP budget is shared: six from one address across both
	// instances, then both refuse.
	ip := randomIP()
	for i := range 6 {
		if r := nodes[i%2].call(t, "POST", "/support/widget/tickets", ticketBody(fmt.Sprintf("ip%d-%s@example.com", i, dbtest.Name())), from(ip)); r.Status != 201 {
			t.Fatalf("per-IP submission %d: %d %s", i+1, r.Status, r.Body)
		}
		filed++
	}
	for _, n := range nodes {
		if r := n.call(t, "POST", "/support/widget/tickets", ticketBody("ip-over-"+dbtest.Name()+"@example.com"), from(ip)); r.Status != 429 {
			t.Errorf("7th submission from one address: %d", r.Status)
		}
	}

	// The per-email budget holds under concurrency across instances: 30 at
	// once, 15 per instance, from 30 addresses; exactly 10 get in.
	email := "burst-" + dbtest.Name() + "@example.com"
	statuses := make(chan int, 30)
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses <- nodes[i%2].call(t, "POST", "/support/widget/tickets", ticketBody(email), from(randomIP())).Status
		}()
	}
	wg.Wait()
	close(statuses)
	got := map[int]int{}
	for s := range statuses {
		got[s]++
	}
	if got[201] != 10 || got[429] != 20 {
		t.Errorf("burst of 30 for one email over two instances: %v, want 10×201 and 20×429", got)
	}
	filed += got[201]

	// Every ticket is confirmed exactly once, whichever instance's worker
	// took the job.
	mt.Wait(filed, 20*time.Second)
	time.Sleep(700 * time.Millisecond) // room for a duplicate to arrive
	mails := mt.Received()
	seen := map[string]int{}
	for _, m := range mails {
		seen[m.Envelope(t).Root.Header.Get("Message-Id")]++
	}
	if len(mails) != filed || len(seen) != filed {
		t.Errorf("%d mails with %d distinct Message-IDs for %d tickets", len(mails), len(seen), filed)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s delivered %d times", id, n)
		}
	}
	if n, _ := inventory(t, nodes[0].App); n != filed {
		t.Errorf("%d tickets in the database, %d got 201", n, filed)
	}
	// Which worker delivered what, for the record (either may take any job).
	if db, err := sqlx.Connect("postgres", vars["PORTICO_DATABASE_URL"]); err == nil {
		var by []string
		if err := db.Select(&by, `SELECT DISTINCT attempted_by[1] FROM river_job WHERE kind = $1`, mail.DeliverArgs{}.Kind()); err == nil {
			t.Logf("confirmation jobs were worked by %d client(s)", len(by))
		}
		db.Close()
	}

	// Every ticket got one issue, whichever instance worked the job.
	githubtest.Wait(t, fmt.Sprintf("%d issues", filed), 20*time.Second, func() bool { return len(gh.Issues()) >= filed })
	time.Sleep(300 * time.Millisecond)
	titles := map[string]int{}
	for _, is := range gh.Issues() {
		titles[is.Title]++
	}
	if len(gh.Issues()) != filed || len(titles) != filed {
		t.Errorf("%d issues with %d distinct titles for %d tickets", len(gh.Issues()), len(titles), filed)
	}

	// One webhook delivery, sent to both instances at once (a retry that
	// lands on the other instance): processed once, one reply mailed.
	issue := gh.Issues()[0]
	delivery, _ := gh.Comment(issue.Number, "grace", "MEMBER", "/send Hello from the agent")
	outcomes := make(chan string, 2)
	for _, n := range nodes {
		go func() {
			r := n.call(t, "POST", "/github/webhook", string(delivery.Body), delivery.Header(ghSecret))
			if r.Status != 200 {
				outcomes <- fmt.Sprint(r.Status)
				return
			}
			outcomes <- r.json(t)["outcome"].(string)
		}()
	}
	o := []string{<-outcomes, <-outcomes}
	if !(o[0] == "queued" && o[1] == "duplicate" || o[0] == "duplicate" && o[1] == "queued") {
		t.Errorf("one delivery to both instances: %v, want one queued and one duplicate", o)
	}
	mt.Wait(filed+1, 20*time.Second)
	time.Sleep(500 * time.Millisecond)
	if n := len(mt.Received()); n != filed+1 {
		t.Errorf("%d mails after the agent's /send, want %d", n, filed+1)
	}

	// A portal link minted by either worker opens on both.
	path := portalPath(t, mails[0].Envelope(t).Text)
	for i, n := range nodes {
		if r := n.call(t, "GET", path, "", nil); r.Status != 200 {
			t.Errorf("portal link on instance %d: %d", i, r.Status)
		}
	}

	// Sessions: signed in on one, signed in on the other; signed out on
	// the other, signed out everywhere.
	login := nodes[0].call(t, "POST", "/support/admin/api/session", `{"email":"root@example.com","password":"correct-horse-battery"}`, from(randomIP()))
	if login.Status != 200 {
		t.Fatalf("sign in on A: %d %s", login.Status, login.Body)
	}
	cookie := strings.SplitN(login.Header.Get("Set-Cookie"), ";", 2)[0]
	withCookie := map[string]string{"Cookie": cookie, "Origin": testOrigin}
	if r := nodes[1].call(t, "GET", "/support/admin/api/session", "", withCookie); r.Status != 200 || r.json(t)["email"] != "root@example.com" {
		t.Errorf("session of A on B: %d %s", r.Status, r.Body)
	}
	// Settings saved through one are in force on the other once its
	// settings cache hears of the change (NOTIFY, a moment after the commit).
	if r := nodes[0].call(t, "GET", "/support/widget/config", "", nil); r.Status != 200 || r.json(t)["color"] == "#123456" {
		t.Errorf("widget config on A before the change: %d %s", r.Status, r.Body)
	}
	if r := nodes[1].call(t, "PUT", "/support/admin/settings/widget", `{"color":"#123456"}`, withCookie); r.Status != 200 {
		t.Errorf("PUT settings on B with A's session: %d %s", r.Status, r.Body)
	}
	githubtest.Wait(t, "the widget color set on B in force on A", 10*time.Second, func() bool {
		r := nodes[0].call(t, "GET", "/support/widget/config", "", nil)
		return r.Status == 200 && r.json(t)["color"] == "#123456"
	})
	if r := nodes[1].call(t, "DELETE", "/support/admin/api/session", "", withCookie); r.Status != 204 {
		t.Errorf("sign out on B: %d", r.Status)
	}
	if r := nodes[0].call(t, "GET", "/support/admin/api/session", "", withCookie); r.Status != 401 {
		t.Errorf("A after signing out on B: %d", r.Status)
	}
}
