"""RedisRateLimiter's Lua scripts, and the bounds of their calls: each step
one script, run atomically by Redis on its own clock (TIME), so that the
processes' clocks never meet.

The keys of one instance's method (``RedisRateLimiter.keys``): ``places``, a
sorted set of the places taken, each scored with the time it stops counting;
``queue``, the waiters by ticket; ``seen``, when each waiter last asked;
``tickets``, the counter that numbers them; ``limits``, each waiter's limit.

Every script may carry what one process let go since its last call, after its
own arguments (``LET_GO`` reads it): first a count R, then R pairs (a waiter
whose place was released, the seconds since its release, measured by that
process), then the waiters that stopped waiting. A released place then counts
one window from the moment it was released, computed on Redis's clock: its
time now, less the seconds the process measured. The message's own way to
Redis only makes that moment later than the real one, never earlier.
"""

from __future__ import annotations

from ._ratelimit import MARGIN, WINDOW

__all__ = ["ACQUIRE", "CALL_TIMEOUT", "LEAVE", "LET_GO_TIMEOUT", "RELEASE", "SPAN", "STALE"]

SPAN = WINDOW + MARGIN
"""How long a place counts once released (the scripts' ``window``)."""
CALL_TIMEOUT = 5.0
"""Longest one script call may take (a stalled Redis is an unavailable one)."""
LET_GO_TIMEOUT = 1.0
"""Longest a release or a leave may take: its place or turn lapses anyway."""
STALE = CALL_TIMEOUT + 1.0
"""A waiter that has not asked for this long has gone (its process died): its
turn passes to the next. Longer than any one call, so a slow Redis evicts no
one; a waiter evicted all the same comes back with its ticket, in its turn."""

_NOW = """
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
"""

# ARGV from ``at`` to the end: R, R pairs (waiter, seconds since its release),
# then the waiters that left.
_LET_GO = """
local function release(places, waiter, until_)
  local score = redis.call('ZSCORE', places, waiter)
  if score and tonumber(score) > until_ then
    redis.call('ZADD', places, until_, waiter)
  end
end
local function let_go(places, queue, seen, limits, window, at)
  local count = tonumber(ARGV[at] or '0')
  at = at + 1
  for _ = 1, count do
    release(places, ARGV[at], now - tonumber(ARGV[at + 1]) + window)
    at = at + 2
  end
  while ARGV[at] do
    redis.call('ZREM', queue, ARGV[at])
    redis.call('ZREM', seen, ARGV[at])
    redis.call('HDEL', limits, ARGV[at])
    release(places, ARGV[at], now + window)
    at = at + 1
  end
end
"""

# KEYS: places, queue, seen, tickets, limits.
# ARGV: waiter, limit, hold, window, stale, ticket ("" for a first ask); then,
# for the process's other asks of this call, their count A and A times:
# waiter, limit, hold, ticket; then what the process let go (LET_GO).
# Returns three values per ask, in order: 1, ticket, 0 when the place is
# taken, else 0, ticket, milliseconds to wait at most. A waiter may take a
# place when its rank in the queue is below the free places under the lowest
# limit of it and those ahead of it: clients that ask for different limits
# then never overtake one another. With nobody queued, a first ask takes a
# free place at once (the same answer, in a few commands).
ACQUIRE = (
    _NOW
    + _LET_GO
    + """
local places, queue, seen, tickets, limits = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local window, stale = tonumber(ARGV[4]), tonumber(ARGV[5])
local asks = {{ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[6]}}
local at = 8
for _ = 1, tonumber(ARGV[7] or '0') do
  asks[#asks + 1] = {ARGV[at], tonumber(ARGV[at + 1]), tonumber(ARGV[at + 2]), ARGV[at + 3]}
  at = at + 4
end
let_go(places, queue, seen, limits, window, at)
redis.call('ZREMRANGEBYSCORE', places, '-inf', now)
local answer, evicted, longest = {}, false, 0
local function answered(taken, ticket, wait)
  answer[#answer + 1] = taken
  answer[#answer + 1] = tostring(ticket)
  answer[#answer + 1] = wait
end
local function wait_ms()
  local first = redis.call('ZRANGE', places, 0, 0, 'WITHSCORES')
  local wait = window
  if first[2] then wait = tonumber(first[2]) - now end
  return math.max(1, math.ceil(wait * 1000))
end
for _, ask in ipairs(asks) do
  local waiter, limit, hold, ticket = ask[1], ask[2], ask[3], ask[4]
  if hold > longest then longest = hold end
  if ticket == '' and redis.call('ZCARD', queue) == 0
      and redis.call('ZCARD', places) < limit then
    redis.call('ZADD', places, now + hold + window, waiter)
    answered(1, redis.call('INCR', tickets), 0)
  else
    if not evicted then
      for _, gone in ipairs(redis.call('ZRANGEBYSCORE', seen, '-inf', now - stale)) do
        redis.call('ZREM', queue, gone)
        redis.call('ZREM', seen, gone)
        redis.call('HDEL', limits, gone)
      end
      evicted = true
    end
    local queued = redis.call('ZSCORE', queue, waiter)
    if queued then
      ticket = queued
    else
      if ticket == '' then ticket = redis.call('INCR', tickets) end
      redis.call('ZADD', queue, ticket, waiter)
    end
    redis.call('ZADD', seen, now, waiter)
    redis.call('HSET', limits, waiter, limit)
    local rank = redis.call('ZRANK', queue, waiter)
    local lowest = limit
    for _, ahead in ipairs(redis.call('ZRANGE', queue, 0, rank)) do
      local other = tonumber(redis.call('HGET', limits, ahead))
      if other and other < lowest then lowest = other end
    end
    if rank < lowest - redis.call('ZCARD', places) then
      redis.call('ZREM', queue, waiter)
      redis.call('ZREM', seen, waiter)
      redis.call('HDEL', limits, waiter)
      redis.call('ZADD', places, now + hold + window, waiter)
      answered(1, ticket, 0)
    else
      answered(0, ticket, wait_ms())
    end
  end
end
local keep = math.ceil((longest + window + stale + 1) * 1000)
for _, key in ipairs(KEYS) do
  local ttl = redis.call('PTTL', key)
  if ttl ~= -2 and ttl < keep then redis.call('PEXPIRE', key, keep) end
end
return answer
"""
)

# KEYS: places. ARGV: window, then what the process let go (LET_GO), with no
# leavers: each released place counts one window from when it was released.
RELEASE = (
    _NOW
    + _LET_GO
    + """
let_go(KEYS[1], nil, nil, nil, tonumber(ARGV[1]), 2)
return 1
"""
)

# KEYS: queue, seen, places, limits. ARGV: waiter, window, then what the
# process let go (LET_GO). A waiter that stops waiting leaves the queue; a
# place it was given as it was cancelled (the answer lost on the way) is
# released, counting one window from now.
LEAVE = (
    _NOW
    + _LET_GO
    + """
local queue, seen, places, limits = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local window = tonumber(ARGV[2])
redis.call('ZREM', queue, ARGV[1])
redis.call('ZREM', seen, ARGV[1])
redis.call('HDEL', limits, ARGV[1])
release(places, ARGV[1], now + window)
let_go(places, queue, seen, limits, window, 3)
return 1
"""
)
