-- complete(call_id, at, wrap_up_until_s, disposition_required): the call is over (hung up
-- after talking, or ended by the controller). The call becomes done unless it was cancelled
-- already. Its operator, if still held by it:
--   on the call: counts one more call taken (`calls_taken`), then goes to wrap_up until
--     `wrap_up_until_s` (ARGV '' = no wrap-up); without a wrap-up, or with a logout pending,
--     the operator is released at once (available, offline or paused, see lib.lua);
--   ringing (the caller hung up as it rang): released at once, no call counted.
-- `disposition_required` ('1'/'0') is stored on the operator for `operator_ready`.
-- A repeat changes nothing. Returns the call state after the event, false if unknown.
local call_id, at, until_s, disposition_required = ARGV[A], ARGV[A + 1], ARGV[A + 2], ARGV[A + 3]
local call_key = P_CALL .. call_id
local st = redis.call('HMGET', call_key, 'state', 'operator_id', 'queue_id')
local state = st[1]
if not state then
  return false
end
if state == 'waiting' then
  remove_waiting(call_id, st[3])
end
if state == 'waiting' or state == 'offered' or state == 'talking' then
  finish_call(call_key, 'done', at)
end
local op_id = st[2]
local busy = operator_busy_with(op_id, call_id)
if busy == 'on_call' then
  local op_key = P_OP .. op_id
  redis.call('HINCRBY', op_key, 'calls_taken', 1)
  redis.call('HSET', op_key, 'disposition_required', disposition_required)
  if until_s ~= '' and redis.call('HGET', op_key, 'logout_pending') ~= '1' then
    redis.call('HSET', op_key, 'state', 'wrap_up', 'call_id', '', 'wrap_call_id', call_id,
      'wrap_up_until_s', until_s)
    redis.call('ZADD', K_WRAPUP, until_s, op_id)
  else
    mark_disposition_missing(op_id, call_id, at)
    release_operator(op_id, at)
  end
elseif busy == 'ringing' then
  release_operator(op_id, at)
end
return redis.call('HGET', call_key, 'state')
