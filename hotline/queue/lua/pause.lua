-- operator_pause(op_id, reason, at): an available operator is paused now (`pause_reason`,
-- `paused_at_s`); a ringing, talking or wrapping-up one gets `pause_pending` = reason, which
-- applies when the call or wrap-up ends instead of becoming available. Pausing a paused
-- operator again only changes the reason (the pause keeps its start).
-- Returns the state after the request ('paused' or the busy state), false if the operator is
-- unknown, or an error reply for an offline operator.
local op_id, reason, at = ARGV[A], ARGV[A + 1], ARGV[A + 2]
local op_key = P_OP .. op_id
local st = redis.call('HMGET', op_key, 'state', 'queues')
local state = st[1]
if not state then
  return false
end
if state == 'offline' then
  return redis.error_reply('operator ' .. op_id .. ' is offline: log in before a pause')
end
if state == 'available' then
  remove_available(op_id, st[2])
  pause_operator(op_id, reason, at)
  return 'paused'
end
if state == 'paused' then
  redis.call('HSET', op_key, 'pause_reason', reason)
  return 'paused'
end
redis.call('HSET', op_key, 'pause_pending', reason)
return state
