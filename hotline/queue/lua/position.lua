-- position(call_id): 1-based place in the call's queue, or false if it is not waiting.
local call_id = ARGV[A]
local st = redis.call('HMGET', P_CALL .. call_id, 'state', 'queue_id')
if st[1] ~= 'waiting' then
  return false
end
return redis.call('ZRANK', P_QWAIT .. st[2], call_id) + 1
