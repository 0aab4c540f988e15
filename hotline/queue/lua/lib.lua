-- Shared prelude of every ACD script (scripts.py prepends it to each one).
-- KEYS[1..4]: waiting, available, operators, queues (see keys.py).
-- ARGV[1..4]: key prefixes of calls, operators, per-queue waiting, per-queue available.
-- ARGV[5]: TTL of a finished call hash in seconds. Script arguments start at ARGV[6].
-- Times arrive as decimal strings and are stored as received: Lua's tostring would round them.
local K_WAITING, K_AVAILABLE, K_OPERATORS, K_QUEUES = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local P_CALL, P_OP, P_QWAIT, P_QAVAIL = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local CALL_TTL_S = tonumber(ARGV[5])
local A = 6

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

-- The operator's call is over (answered, missed or cancelled): idle again from `at`,
-- or offline if a logout arrived meanwhile.
local function release_operator(op_id, at)
  local op_key = P_OP .. op_id
  local pending = redis.call('HGET', op_key, 'logout_pending')
  redis.call('HSET', op_key, 'call_id', '', 'logout_pending', '0', 'idle_since_s', at)
  if pending == '1' then
    redis.call('HSET', op_key, 'state', 'offline')
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
