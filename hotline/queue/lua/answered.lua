-- answered(call_id, op_id, at): the operator picked up. Returns the call state after the
-- event, false if the call is unknown, or {err} when another operator holds the call.
-- A repeat (already talking with this operator) changes nothing. An answer ends the
-- operator's run of misses (`misses_in_row`, see ring_no_answer.lua).
local call_id, op_id, at = ARGV[A], ARGV[A + 1], ARGV[A + 2]
local call_key = P_CALL .. call_id
local st = redis.call('HMGET', call_key, 'state', 'operator_id')
if not st[1] then
  return false
end
if st[2] ~= op_id then
  return redis.error_reply('call ' .. call_id .. ' is not offered to operator ' .. op_id)
end
if st[1] == 'offered' then
  redis.call('HSET', call_key, 'state', 'talking', 'answered_at_s', at)
  redis.call('HSET', P_OP .. op_id, 'state', 'on_call', 'misses_in_row', '0')
  redis.call('HINCRBY', P_OP .. op_id, 'answered', 1)
  return 'talking'
end
return st[1]
