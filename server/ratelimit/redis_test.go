package ratelimit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisTolerance absorbs the real time that passes between Redis calls.
const redisTolerance = 50 * time.Millisecond

// testRedis returns a client for the test Redis (REDIS_ADDR, default
// 127.0.0.1:6379) and a random key prefix whose keys are deleted after the
// test. It skips when Redis is unreachable, unless CI is set, where a missing
// Redis must fail loudly instead of silently skipping coverage.
func testRedis(tb testing.TB) (*redis.Client, string) {
	tb.Helper()
	addr, err := probeRedis()
	if err != nil {
		if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
			tb.Fatalf("Redis at %s is required in CI: %v", addr, err)
		}
		tb.Skipf("skipping: Redis at %s unreachable (%v); set REDIS_ADDR or start redis-server", addr, err)
	}
	client := newClient(addr)

	b := make([]byte, 8)
	rand.Read(b)
	prefix := "portico-test:" + hex.EncodeToString(b) + ":"
	tb.Cleanup(func() {
		defer client.Close()
		ctx := context.Background()
		iter := client.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			client.Del(ctx, iter.Val())
		}
	})
	return client, prefix
}

// probeRedis pings the test Redis once per test binary, so a missing server
// costs one timeout rather than one per test.
var probeRedis = sync.OnceValues(func() (string, error) {
	addr := os.Getenv("REDIS_ADDR")
	if addr == "" {
		addr = "127.0.0.1:6379"
	}
	client := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: time.Second, DialerRetries: 1, MaxRetries: -1})
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return addr, client.Ping(ctx).Err()
})

func newClient(addr string) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: addr, DialTimeout: time.Second})
}

func TestRedisBehaviour(t *testing.T) {
	runBehaviour(t, func(t *testing.T) harness {
		client, prefix := testRedis(t)
		return harness{lim: NewRedis(client, prefix), advance: time.Sleep, tolerance: redisTolerance}
	})
}

func TestRedisConcurrent(t *testing.T) {
	client, prefix := testRedis(t)
	runConcurrent(t, NewRedis(client, prefix), 50, tenPerHour)
}

func TestRedisConcurrentAllowAll(t *testing.T) {
	client, prefix := testRedis(t)
	runConcurrentAllowAll(t, NewRedis(client, prefix), 50)
}

// Two limiters on separate connections model two server instances.
func TestRedisInstancesShareBudget(t *testing.T) {
	client, prefix := testRedis(t)
	other := newClient(client.Options().Addr)
	defer other.Close()
	a, b := NewRedis(client, prefix), NewRedis(other, prefix)
	ctx := context.Background()

	key := "widget:email:alice@example.com"
	allowedCount := 0
	for i := range 2 * tenPerHour.Count {
		lim := a
		if i%2 == 1 {
			lim = b
		}
		res, err := lim.Allow(ctx, key, tenPerHour)
		if err != nil {
			t.Fatal(err)
		}
		if res.Allowed {
			allowedCount++
		}
	}
	if allowedCount != tenPerHour.Count {
		t.Fatalf("two instances allowed %d, want %d in total", allowedCount, tenPerHour.Count)
	}

	// A different prefix is a different budget.
	c := NewRedis(other, prefix+"other:")
	if res, err := c.Allow(ctx, key, tenPerHour); err != nil || !res.Allowed {
		t.Fatalf("other prefix: %+v, %v", res, err)
	}
}

func TestRedisKeyLayoutAndExpiry(t *testing.T) {
	client, prefix := testRedis(t)
	lim := NewRedis(client, prefix)
	ctx := context.Background()
	if _, err := lim.Allow(ctx, "widget:ip:192.0.2.1", tenPerHour); err != nil {
		t.Fatal(err)
	}
	// Stored verbatim under prefix+key, expiring when the budget is full again.
	ttl, err := client.PTTL(ctx, prefix+"widget:ip:192.0.2.1").Result()
	if err != nil {
		t.Fatal(err)
	}
	if ttl <= 0 || ttl > 6*time.Minute {
		t.Fatalf("TTL = %v, want (0, 6m]", ttl)
	}
}

func TestRedisErrorsAreWrapped(t *testing.T) {
	client, prefix := testRedis(t)
	lim := NewRedis(client, prefix)
	ctx := context.Background()

	canceled, cancel := context.WithCancel(ctx)
	cancel()
	_, err := lim.Allow(canceled, "k", onePerHour)
	if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "ratelimit: redis: ") {
		t.Fatalf("err = %v, want wrapped context.Canceled", err)
	}

	// A key of the wrong type makes the script fail.
	client.HSet(ctx, prefix+"hash", "f", "v")
	if _, err := lim.Allow(ctx, "hash", onePerHour); err == nil || !strings.HasPrefix(err.Error(), "ratelimit: redis: ") {
		t.Fatalf("err = %v, want a wrapped Redis error", err)
	}

	// An unreachable server is an error, not a decision.
	downClient := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialerRetries: 1, MaxRetries: -1})
	defer downClient.Close()
	_, err = NewRedis(downClient, prefix).Allow(ctx, "k", onePerHour)
	if err == nil || !strings.HasPrefix(err.Error(), "ratelimit: redis: ") {
		t.Fatalf("err = %v, want a wrapped error from an unreachable Redis", err)
	}
}

func BenchmarkRedisAllow(b *testing.B) {
	client, prefix := testRedis(b)
	lim := NewRedis(client, prefix)
	limit := Limit{Count: 1_000_000, Period: time.Hour}
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = "widget:ip:" + itoa(i)
	}
	b.Run("serial", func(b *testing.B) {
		ctx := context.Background()
		i := 0
		for b.Loop() {
			if _, err := lim.Allow(ctx, keys[i%len(keys)], limit); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			ctx := context.Background()
			i := 0
			for pb.Next() {
				if _, err := lim.Allow(ctx, keys[i%len(keys)], limit); err != nil {
					b.Error(err)
					return
				}
				i++
			}
		})
	})
}
