-- callback_enqueue(entry_id, queue_id, score, arrived_at_s, number, language, topic,
-- priority, requested_at_s): a call-back request as an ACD entry of kind `callback`, waiting
-- in its queue at the caller's original place (`score`, from the original arrival; no
-- boost). `assign` offers it to an operator like a call (so the call-backs in flight never
-- outnumber the free eligible operators); the dispatcher then rings the operator, then the
-- caller's `number`.
-- Returns 1 when stored, 0 when the entry id is known already (a retry: no change).
local entry_id, queue_id, score = ARGV[A], ARGV[A + 1], ARGV[A + 2]
local key = P_CALL .. entry_id
if redis.call('EXISTS', key) == 1 then
  return 0
end
redis.call('HSET', key,
  'call_id', entry_id, 'kind', 'callback', 'queue_id', queue_id, 'score', score,
  'arrived_at_s', ARGV[A + 3], 'number', ARGV[A + 4], 'language', ARGV[A + 5],
  'topic', ARGV[A + 6], 'priority', ARGV[A + 7], 'requested_at_s', ARGV[A + 8],
  'state', 'waiting', 'operator_id', '', 'channel', '', 'uniqueid', '', 'misses', '0',
  'attempts', '0', 'not_before_s', '')
redis.call('SADD', K_QUEUES, queue_id)
add_waiting(entry_id, queue_id, score)
return 1
