-- callback_register: a standalone script (no lib.lua prelude).
-- KEYS[1]: the callbacks ZSET. ARGV: callback hash prefix, callback_id, score, number,
-- queue_id, topic, language, priority, requested_at_s.
-- Returns 1 when registered, 0 when this callback_id exists already (a retry: no change).
local key = ARGV[1] .. ARGV[2]
if redis.call('EXISTS', key) == 1 then
  return 0
end
redis.call('HSET', key,
  'callback_id', ARGV[2], 'score', ARGV[3], 'number', ARGV[4], 'queue_id', ARGV[5],
  'topic', ARGV[6], 'language', ARGV[7], 'priority', ARGV[8], 'requested_at_s', ARGV[9],
  'state', 'requested', 'attempts', '0')
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
return 1
