-- operator_logout(op_id): offline now if available, paused or in wrap-up (a wrap-up that
-- needed a disposition ends without one: the call is marked `disposition_missing`); after
-- the call if ringing or on a call. Returns the state after the logout ('offline' or the
-- busy state), false if unknown.
local op_id = ARGV[A]
local op_key = P_OP .. op_id
local st = redis.call('HMGET', op_key, 'state', 'queues', 'wrap_call_id')
local state = st[1]
if not state then
  return false
end
if state == 'available' or state == 'paused' or state == 'wrap_up' then
  if state == 'available' then
    remove_available(op_id, st[2])
  elseif state == 'wrap_up' then
    redis.call('ZREM', K_WRAPUP, op_id)
    mark_disposition_missing(op_id, st[3])
  end
  redis.call('HSET', op_key, 'state', 'offline', 'idle_since_s', '', 'pause_reason', '',
    'paused_at_s', '', 'pause_pending', '', 'wrap_call_id', '', 'wrap_up_until_s', '')
  return 'offline'
end
if state == 'ringing' or state == 'on_call' then
  redis.call('HSET', op_key, 'logout_pending', '1')
end
return state
