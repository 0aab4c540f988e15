-- operator_login(op_id, at, queues_csv). Idempotent: a repeated login keeps the idle time
-- (so a retry does not push the operator to the back); it may change the queues served.
local op_id, at, queues_csv = ARGV[A], ARGV[A + 1], ARGV[A + 2]
local op_key = P_OP .. op_id
local st = redis.call('HMGET', op_key, 'state', 'queues', 'idle_since_s')
local state = st[1]
redis.call('SADD', K_OPERATORS, op_id)
for _, q in ipairs(split_queues(queues_csv)) do
  redis.call('SADD', K_QUEUES, q)
end
if (not state) or state == 'offline' then
  redis.call('HSET', op_key, 'op_id', op_id, 'state', 'available', 'queues', queues_csv,
    'idle_since_s', at, 'login_at_s', at, 'call_id', '', 'logout_pending', '0')
  if not state then
    redis.call('HSET', op_key, 'misses', '0', 'answered', '0')
  end
  add_available(op_id, queues_csv, at)
  return 'available'
end
if state == 'available' then
  remove_available(op_id, st[2])
  add_available(op_id, queues_csv, st[3])
end
-- Ringing or on a call: the new queues apply once the call is over; a pending logout is
-- withdrawn because the operator just said they are staying.
redis.call('HSET', op_key, 'queues', queues_csv, 'logout_pending', '0')
return state
