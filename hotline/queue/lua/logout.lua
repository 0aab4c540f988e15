-- operator_logout(op_id): offline now if available; after the call if ringing/on a call.
-- Returns the state after the logout ('offline' or the busy state), false if unknown.
local op_id = ARGV[A]
local op_key = P_OP .. op_id
local st = redis.call('HMGET', op_key, 'state', 'queues')
local state = st[1]
if not state then
  return false
end
if state == 'available' then
  remove_available(op_id, st[2])
  redis.call('HSET', op_key, 'state', 'offline', 'idle_since_s', '')
  return 'offline'
end
if state == 'ringing' or state == 'on_call' then
  redis.call('HSET', op_key, 'logout_pending', '1')
end
return state
