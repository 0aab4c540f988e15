-- ring_no_answer(call_id, op_id, at, auto_pause_after, reoffer_after): the operator did not pick up. The
-- call goes back to waiting with its original score (nobody who came later overtakes it)
-- and the operator is idle again from `at`, counting a miss (`misses`, and `misses_in_row`,
-- which an answer resets). When `misses_in_row` reaches `auto_pause_after` (0: never) the
-- operator is paused with reason `no-answer` instead (unless a pause or logout is pending
-- already), and `misses_in_row` starts again from 0 for when they are back.
-- With `reoffer_after` (an absolute time, or '' for none) the same operator is not offered
-- this call again before then (K_REOFFER; other operators may take it at once): a caller
-- whose operator did not answer waits on hold rather than ringing the same phone again.
-- If the caller hung up meanwhile (cancelled), only the operator is freed, without a miss.
-- A repeat changes nothing. Returns the call state after the event, false if unknown.
local call_id, op_id, at = ARGV[A], ARGV[A + 1], ARGV[A + 2]
local auto_pause_after = tonumber(ARGV[A + 3])
local reoffer_after = ARGV[A + 4] or ''
local call_key = P_CALL .. call_id
local st = redis.call('HMGET', call_key, 'state', 'operator_id', 'queue_id', 'score')
if not st[1] then
  return false
end
if st[2] ~= op_id then
  return st[1]
end
-- Only a ringing operator is concerned: once on the call, a late no-answer is stale.
local ringing = operator_busy_with(op_id, call_id) == 'ringing'
if st[1] == 'offered' then
  redis.call('HSET', call_key, 'state', 'waiting', 'operator_id', '')
  redis.call('HINCRBY', call_key, 'misses', 1)
  add_waiting(call_id, st[3], st[4])
  if reoffer_after ~= '' then
    redis.call('ZADD', K_REOFFER, reoffer_after, reoffer_member(call_id, op_id))
  end
  if ringing then
    local op_key = P_OP .. op_id
    redis.call('HINCRBY', op_key, 'misses', 1)
    local in_row = redis.call('HINCRBY', op_key, 'misses_in_row', 1)
    if auto_pause_after > 0 and in_row >= auto_pause_after then
      redis.call('HSET', op_key, 'misses_in_row', '0')
      local pending = redis.call('HGET', op_key, 'pause_pending')
      if not pending or pending == '' then
        redis.call('HSET', op_key, 'pause_pending', 'no-answer')
      end
    end
  end
end
if ringing then
  release_operator(op_id, at)
end
return redis.call('HGET', call_key, 'state')
