-- restore_talking(call_id, queue_id, score, arrived_at, channel, uniqueid, language, topic,
-- priority, owner, op_id, answered_at): Redis lost its data while the operator talked with
-- the caller (see hotline/controller/rebuild.py). The call is stored again as talking with
-- the operator, who must be logged in (just logged in again: available), and the operator is
-- put on that call, so that no other call is offered to them and the hang-up completes the
-- call (wrap-up) as usual. Returns the operator's state after the request; false if the
-- operator is unknown or offline, or the call is known already (nothing changes then).
local call_id, queue_id, score, at = ARGV[A], ARGV[A + 1], ARGV[A + 2], ARGV[A + 3]
local op_id, answered_at = ARGV[A + 10], ARGV[A + 11]
local call_key = P_CALL .. call_id
local op_key = P_OP .. op_id
if redis.call('EXISTS', call_key) == 1 then
  return false
end
local st = redis.call('HMGET', op_key, 'state', 'queues')
if st[1] ~= 'available' and st[1] ~= 'paused' then
  return false
end
redis.call('HSET', call_key,
  'call_id', call_id, 'queue_id', queue_id, 'score', score, 'arrived_at_s', at,
  'channel', ARGV[A + 4], 'uniqueid', ARGV[A + 5], 'language', ARGV[A + 6],
  'topic', ARGV[A + 7], 'priority', ARGV[A + 8], 'state', 'talking', 'operator_id', op_id,
  'offered_at_s', answered_at, 'answered_at_s', answered_at, 'misses', '0')
if ARGV[A + 9] ~= '' then
  redis.call('HSET', call_key, 'owner', ARGV[A + 9])
end
redis.call('SADD', K_QUEUES, queue_id)
if st[1] == 'available' then
  remove_available(op_id, st[2])
else
  -- Paused meanwhile: the pause applies once the call is over.
  redis.call('HSET', op_key, 'pause_pending', redis.call('HGET', op_key, 'pause_reason'))
end
redis.call('HSET', op_key, 'state', 'on_call', 'call_id', call_id)
return 'on_call'
