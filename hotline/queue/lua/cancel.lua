-- cancel(call_id, at): the caller hung up. Returns the state the call was in (false if
-- unknown). Only a waiting call changes here (to cancelled). An offered call becomes
-- cancelled too but its operator stays ringing: the Dial still ends with ring_no_answer or
-- complete, which frees the operator. A talking call is ended by complete, not here.
local call_id, at = ARGV[A], ARGV[A + 1]
local call_key = P_CALL .. call_id
local st = redis.call('HMGET', call_key, 'state', 'queue_id')
local state = st[1]
if not state then
  return false
end
if state == 'waiting' then
  remove_waiting(call_id, st[2])
  finish_call(call_key, 'cancelled', at)
elseif state == 'offered' then
  finish_call(call_key, 'cancelled', at)
end
return state
