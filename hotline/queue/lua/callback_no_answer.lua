-- callback_no_answer(entry_id, op_id, at, not_before_s, max_attempts): the operator took the
-- call-back but the caller did not pick up. One attempt more (`attempts`); below
-- `max_attempts` the entry waits again at its original place but is not offered before
-- `not_before_s` (assign skips it until then); at `max_attempts` it ends as
-- `callback_failed`. The operator is free again from `at`, without a miss (not their fault).
-- A repeat changes nothing. Returns the entry's state after, false if unknown.
local entry_id, op_id, at = ARGV[A], ARGV[A + 1], ARGV[A + 2]
local not_before_s, max_attempts = ARGV[A + 3], tonumber(ARGV[A + 4])
local key = P_CALL .. entry_id
local st = redis.call('HMGET', key, 'state', 'operator_id', 'queue_id', 'score', 'kind')
if not st[1] then
  return false
end
if st[1] == 'offered' and st[2] == op_id and st[5] == 'callback' then
  local attempts = redis.call('HINCRBY', key, 'attempts', 1)
  if attempts >= max_attempts then
    finish_call(key, 'callback_failed', at)
  else
    redis.call('HSET', key, 'state', 'waiting', 'operator_id', '', 'not_before_s', not_before_s)
    add_waiting(entry_id, st[3], st[4])
  end
  if operator_busy_with(op_id, entry_id) then
    release_operator(op_id, at)
  end
end
return redis.call('HGET', key, 'state')
