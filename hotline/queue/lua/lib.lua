-- Shared prelude of every ACD script (scripts.py prepends it to each one).
-- KEYS[1..7]: waiting, available, operators, queues, wrap-up, dispositions, reoffer (see
-- keys.py).
-- ARGV[1..5]: key prefixes of calls, operators, per-queue waiting, per-queue available,
-- per-queue last operator (round robin).
-- ARGV[6]: TTL of a finished call hash in seconds. Script arguments start at ARGV[7].
-- Times arrive as decimal strings and are stored as received: Lua's tostring would round them.
--
-- Operator states: offline, available, ringing, on_call, wrap_up, paused. A busy operator
-- (ringing, on_call, wrap_up) may carry a pending logout (`logout_pending` = '1') or a
-- pending pause (`pause_pending` = the reason); both apply when the busy state ends.
local K_WAITING, K_AVAILABLE, K_OPERATORS, K_QUEUES = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local K_WRAPUP, K_DISPOSITIONS, K_REOFFER = KEYS[5], KEYS[6], KEYS[7]
local P_CALL, P_OP, P_QWAIT, P_QAVAIL, P_QLAST = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local CALL_TTL_S = tonumber(ARGV[6])
local A = 7

local function split_queues(csv)
  local out = {}
  for q in string.gmatch(csv or '', '[^,]+') do
    out[#out + 1] = q
  end
  return out
end

local function add_waiting(call_id, queue_id, score)
  redis.call('ZADD', K_WAITING, score, call_id)
  redis.call('ZADD', P_QWAIT .. queue_id, score, call_id)
end

local function remove_waiting(call_id, queue_id)
  redis.call('ZREM', K_WAITING, call_id)
  redis.call('ZREM', P_QWAIT .. queue_id, call_id)
end

local function add_available(op_id, queues_csv, idle_since_s)
  redis.call('ZADD', K_AVAILABLE, idle_since_s, op_id)
  for _, q in ipairs(split_queues(queues_csv)) do
    redis.call('ZADD', P_QAVAIL .. q, idle_since_s, op_id)
  end
end

local function remove_available(op_id, queues_csv)
  redis.call('ZREM', K_AVAILABLE, op_id)
  for _, q in ipairs(split_queues(queues_csv)) do
    redis.call('ZREM', P_QAVAIL .. q, op_id)
  end
end

-- Pause an operator who holds no call (the caller removed it from `available` if needed).
local function pause_operator(op_id, reason, at)
  redis.call('HSET', P_OP .. op_id, 'state', 'paused', 'pause_reason', reason,
    'paused_at_s', at, 'pause_pending', '')
end

-- The operator's call or wrap-up is over: idle again from `at`, or offline if a logout
-- arrived meanwhile, or paused if a pause did.
local function release_operator(op_id, at)
  local op_key = P_OP .. op_id
  local st = redis.call('HMGET', op_key, 'logout_pending', 'pause_pending')
  redis.call('HSET', op_key, 'call_id', '', 'logout_pending', '0', 'idle_since_s', at,
    'wrap_call_id', '', 'wrap_up_until_s', '')
  if st[1] == '1' then
    redis.call('HSET', op_key, 'state', 'offline', 'pause_pending', '')
  elseif st[2] and st[2] ~= '' then
    pause_operator(op_id, st[2], at)
  else
    redis.call('HSET', op_key, 'state', 'available')
    add_available(op_id, redis.call('HGET', op_key, 'queues'), at)
  end
end

-- The operator's state if it is busy (ringing or on a call) with exactly this call, else nil.
local function operator_busy_with(op_id, call_id)
  if op_id == nil or op_id == false or op_id == '' then
    return nil
  end
  local st = redis.call('HMGET', P_OP .. op_id, 'state', 'call_id')
  if (st[1] == 'ringing' or st[1] == 'on_call') and st[2] == call_id then
    return st[1]
  end
  return nil
end

local function finish_call(call_key, state, at)
  redis.call('HSET', call_key, 'state', state, 'ended_at_s', at)
  redis.call('EXPIRE', call_key, CALL_TTL_S)
end

-- A wrap-up's disposition for the controller to store in SQL (hotline.queue.Disposition):
-- call, operator, disposition, missing ('1': required but not given), when.
local function note_disposition(call_id, op_id, disposition, missing, at)
  redis.call('RPUSH', K_DISPOSITIONS,
    table.concat({call_id, op_id, disposition, missing, at or ''}, '\t'))
end

-- A wrap-up that needed a disposition ends without one: the record says so. The call hash
-- is only touched while it exists (HSET would revive an expired one without a TTL).
local function mark_disposition_missing(op_id, call_id, at)
  if redis.call('HGET', P_OP .. op_id, 'disposition_required') ~= '1' then
    return
  end
  local call_key = P_CALL .. (call_id or '')
  if call_id and call_id ~= '' and redis.call('EXISTS', call_key) == 1
      and not redis.call('HGET', call_key, 'disposition') then
    redis.call('HSET', call_key, 'disposition', '', 'disposition_missing', '1')
    note_disposition(call_id, op_id, '', '1', at)
  end
end

-- Lazy expiry: every wrap-up whose end is at or before `at` ends at its end time (so the
-- operator's idle time is exact whenever the expiry is noticed).
local function expire_wrap_ups(at)
  for _, op_id in ipairs(redis.call('ZRANGEBYSCORE', K_WRAPUP, '-inf', at)) do
    local st = redis.call('HMGET', P_OP .. op_id, 'wrap_call_id', 'wrap_up_until_s')
    redis.call('ZREM', K_WRAPUP, op_id)
    mark_disposition_missing(op_id, st[1], st[2])
    release_operator(op_id, st[2])
  end
end

-- The member of K_REOFFER that keeps `op_id` from being offered `call_id` for a while.
local function reoffer_member(call_id, op_id)
  return call_id .. '|' .. op_id
end
