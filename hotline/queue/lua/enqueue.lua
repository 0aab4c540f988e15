-- enqueue(call_id, queue_id, score, at, channel, uniqueid, language, topic, priority,
-- max_waiting, owner): put a new call in its queue, unless the queue already holds
-- `max_waiting` waiting calls ('' = no limit). `owner`: the id of the controller that tracks
-- the call ('' = none recorded; see claim.lua).
-- Returns the 1-based position in the call's queue; -1 if the queue is full (nothing is
-- stored: the caller may try again later); 0 if the call id is known but no longer waiting
-- (a retry of an old enqueue changes nothing, and a retry of a waiting call is never refused).
local call_id, queue_id, score, at = ARGV[A], ARGV[A + 1], ARGV[A + 2], ARGV[A + 3]
local max_waiting = tonumber(ARGV[A + 9])
local call_key = P_CALL .. call_id
local state = redis.call('HGET', call_key, 'state')
if not state then
  if max_waiting and redis.call('ZCARD', P_QWAIT .. queue_id) >= max_waiting then
    return -1
  end
  redis.call('HSET', call_key,
    'call_id', call_id, 'queue_id', queue_id, 'score', score, 'arrived_at_s', at,
    'channel', ARGV[A + 4], 'uniqueid', ARGV[A + 5], 'language', ARGV[A + 6],
    'topic', ARGV[A + 7], 'priority', ARGV[A + 8], 'state', 'waiting', 'operator_id', '',
    'misses', '0')
  if ARGV[A + 10] and ARGV[A + 10] ~= '' then
    redis.call('HSET', call_key, 'owner', ARGV[A + 10])
  end
  redis.call('SADD', K_QUEUES, queue_id)
  add_waiting(call_id, queue_id, score)
  state = 'waiting'
end
if state ~= 'waiting' then
  return 0
end
local q = redis.call('HGET', call_key, 'queue_id')
return redis.call('ZRANK', P_QWAIT .. q, call_id) + 1
