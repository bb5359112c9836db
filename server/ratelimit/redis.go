package ratelimit

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// allowScript is GCRA over all KEYS at once, so AllowAll is atomic: it
// either charges every key or none. It is the same formulation redis_rate
// uses (after rwz/redis-gcra), but keys are stored verbatim (redis_rate
// forces its own "rate:" namespace) and all arithmetic is in whole
// microseconds so that doubles stay exact and Memory gives identical answers.
//
// ARGV holds (interval µs, burst µs) per key. Returns {allowed, remaining,
// retry after µs}. Time comes from the Redis server so that instances with
// skewed clocks still share one budget.
var allowScript = redis.NewScript(`
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local staged = {}
local remaining = -1
local retry = 0
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[2 * i - 1])
  local burst = tonumber(ARGV[2 * i])
  local tat = staged[key]
  if tat == nil then
    tat = tonumber(redis.call("GET", key)) or now
  end
  if tat < now then tat = now end
  local newtat = tat + interval
  local allowat = newtat - burst
  if now < allowat then
    if allowat - now > retry then retry = allowat - now end
  else
    local r = math.floor((now - allowat) / interval)
    if remaining < 0 or r < remaining then remaining = r end
  end
  staged[key] = newtat
end
if retry > 0 then
  return {0, 0, retry}
end
for key, tat in pairs(staged) do
  redis.call("SET", key, string.format("%.0f", tat),
    "PX", string.format("%.0f", math.ceil((tat - now) / 1000)))
end
if remaining < 0 then remaining = 0 end
return {1, remaining, 0}
`)

// Redis is a Limiter whose state lives in Redis, so every server instance
// using the same prefix shares one budget per key. Keys expire once their
// budget is full again. All keys of one AllowAll call are touched by a
// single script, so a Redis Cluster would need them in one hash slot; a
// *redis.Client (standalone or Sentinel) has no such restriction.
type Redis struct {
	client *redis.Client
	prefix string
}

var _ Limiter = (*Redis)(nil)

// NewRedis returns a limiter storing each key under prefix+key.
func NewRedis(client *redis.Client, prefix string) *Redis {
	return &Redis{client: client, prefix: prefix}
}

// Allow implements Limiter.
func (r *Redis) Allow(ctx context.Context, key string, limit Limit) (Result, error) {
	return r.AllowAll(ctx, Check{Key: key, Limit: limit})
}

// AllowAll implements Limiter in one atomic script call.
func (r *Redis) AllowAll(ctx context.Context, checks ...Check) (Result, error) {
	if len(checks) == 0 {
		return Result{Allowed: true}, nil
	}
	keys := make([]string, len(checks))
	args := make([]any, 0, 2*len(checks))
	for i, c := range checks {
		interval, burst, err := c.Limit.gcra()
		if err != nil {
			return Result{}, err
		}
		keys[i] = r.prefix + c.Key
		args = append(args, interval.Microseconds(), burst.Microseconds())
	}
	v, err := allowScript.Run(ctx, r.client, keys, args...).Int64Slice()
	if err != nil {
		return Result{}, fmt.Errorf("ratelimit: redis: %w", err)
	}
	if len(v) != 3 {
		return Result{}, fmt.Errorf("ratelimit: redis: unexpected script reply %v", v)
	}
	return Result{
		Allowed:    v[0] == 1,
		Remaining:  int(v[1]),
		RetryAfter: time.Duration(v[2]) * time.Microsecond,
	}, nil
}
