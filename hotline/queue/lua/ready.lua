-- operator_ready(op_id, at, has_disposition, disposition): the operator is ready for calls.
--   wrap_up: ends now (idle from `at`); the disposition, if given, is stored on the call
--     (`disposition`). If the wrap-up requires one (`disposition_required` on the operator,
--     set by complete.lua) and none is given: an error reply starting "disposition required",
--     and nothing changes.
--   paused: available again from `at`.
--   ringing, on_call: a pending pause is withdrawn.
--   available, offline: nothing changes (a repeated ready is harmless).
-- Returns the state after the request, false if the operator is unknown.
local op_id, at, has_disposition, disposition = ARGV[A], ARGV[A + 1], ARGV[A + 2], ARGV[A + 3]
local op_key = P_OP .. op_id
local st = redis.call('HMGET', op_key, 'state', 'queues', 'wrap_call_id', 'disposition_required')
local state = st[1]
if not state then
  return false
end
if state == 'wrap_up' then
  if has_disposition ~= '1' and st[4] == '1' then
    return redis.error_reply('disposition required: operator ' .. op_id
      .. ' must give one to end the wrap-up of call ' .. (st[3] or ''))
  end
  local call_key = P_CALL .. (st[3] or '')
  if has_disposition == '1' and redis.call('EXISTS', call_key) == 1 then
    redis.call('HSET', call_key, 'disposition', disposition)
    note_disposition(st[3], op_id, disposition, '0', at)
  end
  redis.call('ZREM', K_WRAPUP, op_id)
  redis.call('HSET', op_key, 'pause_pending', '')
  release_operator(op_id, at)
  return redis.call('HGET', op_key, 'state')
end
if state == 'paused' then
  redis.call('HSET', op_key, 'state', 'available', 'pause_reason', '', 'paused_at_s', '',
    'idle_since_s', at)
  add_available(op_id, st[2], at)
  return 'available'
end
if state == 'ringing' or state == 'on_call' then
  redis.call('HSET', op_key, 'pause_pending', '')
end
return state
