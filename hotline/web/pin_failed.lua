-- One refused attempt against the counter hash KEYS[1] (hotline.web.pin_guard), atomic so
-- that controllers sharing the counter cannot lose a failure between a read and a write.
-- ARGV: now_s, limit, lockout_s, max_lockout_s, forget_after_s (clock seconds).
-- Returns the failures in a row, this one included.
local now = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local lockout_s = tonumber(ARGV[3])
local max_lockout_s = tonumber(ARGV[4])
local forget_after_s = tonumber(ARGV[5])

local state = redis.call('HMGET', KEYS[1], 'failures', 'lockouts', 'last_failure', 'locked_until')
local failures = tonumber(state[1]) or 0
local lockouts = tonumber(state[2]) or 0
local last_failure = tonumber(state[3]) or 0
local locked_until = state[4] or '0'
if now - last_failure > forget_after_s then
  failures = 0
  lockouts = 0
end
failures = failures + 1
local counted = failures
if failures >= limit then
  -- Doubled at each lockout in a row, up to max_lockout_s.
  locked_until = tostring(now + math.min(lockout_s * 2 ^ lockouts, max_lockout_s))
  lockouts = lockouts + 1
  failures = 0
end
redis.call('HSET', KEYS[1], 'failures', failures, 'lockouts', lockouts,
  'last_failure', ARGV[1], 'locked_until', locked_until)
-- Redis's own clock only collects the idle hash; the counting above is on the caller's.
redis.call('EXPIRE', KEYS[1], math.ceil(forget_after_s + max_lockout_s))
return counted
