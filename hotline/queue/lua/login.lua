-- operator_login(op_id, at, queues_csv, levels_csv). Idempotent: a repeated login keeps the
-- state and the idle time (so a retry does not push the operator to the back, and a paused
-- operator stays paused); it may change the queues served and the skill levels.
-- `levels_csv` is "topic:level,..." (a topic not listed is level 1, see assign.lua).
-- Returns the operator's state after the login.
local op_id, at, queues_csv, levels_csv = ARGV[A], ARGV[A + 1], ARGV[A + 2], ARGV[A + 3]
local op_key = P_OP .. op_id
local st = redis.call('HMGET', op_key, 'state', 'queues', 'idle_since_s')
local state = st[1]
redis.call('SADD', K_OPERATORS, op_id)
for _, q in ipairs(split_queues(queues_csv)) do
  redis.call('SADD', K_QUEUES, q)
end
redis.call('HSET', op_key, 'levels', levels_csv)
if (not state) or state == 'offline' then
  redis.call('HSET', op_key, 'op_id', op_id, 'state', 'available', 'queues', queues_csv,
    'idle_since_s', at, 'login_at_s', at, 'call_id', '', 'logout_pending', '0',
    'pause_pending', '', 'pause_reason', '', 'paused_at_s', '', 'wrap_call_id', '',
    'wrap_up_until_s', '')
  if not state then
    redis.call('HSET', op_key, 'misses', '0', 'answered', '0', 'misses_in_row', '0',
      'calls_taken', '0')
  end
  add_available(op_id, queues_csv, at)
  return 'available'
end
if state == 'available' then
  remove_available(op_id, st[2])
  add_available(op_id, queues_csv, st[3])
end
-- Busy or paused: the new queues apply once the operator is available; a pending logout is
-- withdrawn because the operator just said they are staying.
redis.call('HSET', op_key, 'queues', queues_csv, 'logout_pending', '0')
return state
