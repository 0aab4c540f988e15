-- move(call_id, to_queue): a waiting call overflows into a wider queue (an overflow rule's
-- `widen`), keeping its place: the same score, so its original arrival still orders it.
-- Returns the call's queue after the request, false if the call is unknown. A call that no
-- longer waits (offered, talking, over) stays where it is; a repeated move changes nothing.
local call_id, to_queue = ARGV[A], ARGV[A + 1]
local call_key = P_CALL .. call_id
local st = redis.call('HMGET', call_key, 'state', 'queue_id', 'score')
if not st[1] then
  return false
end
if st[1] ~= 'waiting' or st[2] == to_queue then
  return st[2]
end
remove_waiting(call_id, st[2])
redis.call('HSET', call_key, 'queue_id', to_queue, 'overflowed_from', st[2])
redis.call('SADD', K_QUEUES, to_queue)
add_waiting(call_id, to_queue, st[3])
return to_queue
