-- assign(at): match the best waiting call (lowest score: higher priority, then earlier
-- arrival) that has an eligible operator with the longest-idle such operator.
-- The first call of the global order with an eligible operator is the best head among the
-- queues that have an available operator, so we look at one head per queue instead of
-- walking the whole waiting list.
-- Returns {call_id, op_id, queue_id, channel, uniqueid, arrived_at_s} or false.
local at = ARGV[A]
if redis.call('ZCARD', K_AVAILABLE) == 0 then
  return false
end
local best_call, best_score, best_queue
for _, q in ipairs(redis.call('SMEMBERS', K_QUEUES)) do
  if redis.call('ZCARD', P_QAVAIL .. q) > 0 then
    local head = redis.call('ZRANGE', P_QWAIT .. q, 0, 0, 'WITHSCORES')
    if head[1] then
      local score = tonumber(head[2])
      -- Ties break on the call id, as the global ZSET orders equal scores.
      if best_score == nil or score < best_score
          or (score == best_score and head[1] < best_call) then
        best_call, best_score, best_queue = head[1], score, q
      end
    end
  end
end
if not best_call then
  return false
end
local op_id = redis.call('ZRANGE', P_QAVAIL .. best_queue, 0, 0)[1]
local op_key = P_OP .. op_id
local call_key = P_CALL .. best_call
remove_waiting(best_call, best_queue)
remove_available(op_id, redis.call('HGET', op_key, 'queues'))
redis.call('HSET', call_key, 'state', 'offered', 'operator_id', op_id, 'offered_at_s', at)
redis.call('HSET', op_key, 'state', 'ringing', 'call_id', best_call)
local c = redis.call('HMGET', call_key, 'channel', 'uniqueid', 'arrived_at_s')
return {best_call, op_id, best_queue, c[1], c[2], c[3]}
