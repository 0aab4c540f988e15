-- complete(call_id, at): the call is over (hung up after talking, or ended by the
-- controller). The call becomes done unless it was cancelled already; its operator, if
-- still held by it, is idle from `at` (or offline if a logout is pending). A repeat changes
-- nothing. Returns the call state after the event, false if the call is unknown.
local call_id, at = ARGV[A], ARGV[A + 1]
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
if operator_busy_with(st[2], call_id) then
  release_operator(st[2], at)
end
return redis.call('HGET', call_key, 'state')
