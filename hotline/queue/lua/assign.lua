-- assign(at, strategy, tier_delay_s): offer the best waiting call to one eligible operator.
-- Returns {call_id, op_id, queue_id, channel, uniqueid, arrived_at_s, kind, number} or false
-- (kind: 'call', or 'callback' for a call-back entry, see callback_enqueue.lua).
--
-- First, every wrap-up that ended at or before `at` ends (lazy expiry, see lib.lua).
--
-- Eligibility (skill tiers): an operator serving the call's queue with level L for the
-- call's topic (field `levels` "topic:level,...", absent topic: level 1) may take the call
-- once it has waited (since its original arrival) at least (L - 1) * tier_delay_s; the call
-- keeps its place meanwhile. tier_delay_s <= 0 makes every level eligible at once.
--
-- The best call is the lowest score (higher priority, then earlier arrival; ties on the call
-- id, as the ZSETs order them) among calls with an eligible available operator. Each queue
-- with an available operator is scanned from its head for its first eligible call; the best
-- of those wins. Limit: only the first SCAN_PER_QUEUE calls of a queue are scanned, so a
-- call further back that a higher-level operator could take (it waited longer than those
-- ahead, which only happens when a higher priority overtook it) waits until a place frees.
-- Without tiers (all level 1) the head of a queue is always eligible and the scan stops there.
-- A call-back entry whose `not_before_s` is still ahead (a retry after the caller did not
-- answer) is skipped, keeping its place; many of them at a queue's head count against the
-- same scan limit.
--
-- An operator who let a call ring out (or did not take it) is not eligible for that call
-- until its K_REOFFER entry runs out (ring_no_answer.lua); entries that ran out are dropped
-- first. Such a call may still go to another operator, and the operator to another call.
--
-- The operator among the eligible ones, by `strategy`:
--   longest_idle: lowest idle_since_s (ties: operator id);
--   fewest_calls: lowest calls_taken, ties longest idle;
--   round_robin: the first operator id after the queue's last served one (per-queue key),
--     wrapping around;
--   random: a pick derived from a hash of the call id (deterministic, so the script's
--     effects do not depend on anything but its inputs; it spreads calls, not fairness).
local at, strategy, tier_delay_s = ARGV[A], ARGV[A + 1], tonumber(ARGV[A + 2])
local now = tonumber(at)
local SCAN_PER_QUEUE = 32
local STRATEGIES = {longest_idle = true, fewest_calls = true, round_robin = true, random = true}
if not STRATEGIES[strategy] then
  return redis.error_reply('unknown routing strategy ' .. tostring(strategy))
end

expire_wrap_ups(at)
redis.call('ZREMRANGEBYSCORE', K_REOFFER, '-inf', at)
if redis.call('ZCARD', K_AVAILABLE) == 0 then
  return false
end
local any_barred = redis.call('ZCARD', K_REOFFER) > 0

-- Whether `op_id` must not be offered `call_id` yet.
local function barred(call_id, op_id)
  return any_barred and redis.call('ZSCORE', K_REOFFER, reoffer_member(call_id, op_id)) ~= false
end

local levels_of = {}
local function level(op_id, topic)
  local levels = levels_of[op_id]
  if levels == nil then
    levels = {}
    local csv = redis.call('HGET', P_OP .. op_id, 'levels') or ''
    for t, l in string.gmatch(csv, '([^,:]+):(%d+)') do
      levels[t] = tonumber(l)
    end
    levels_of[op_id] = levels
  end
  return levels[topic] or 1
end

-- The highest level allowed to take a call that has waited `waited_s`.
local function max_level(waited_s)
  if tier_delay_s <= 0 then
    return math.huge
  end
  return 1 + math.floor(waited_s / tier_delay_s)
end

local best = nil -- {call_id, score, queue_id, topic, max_level}
for _, q in ipairs(redis.call('SMEMBERS', K_QUEUES)) do
  local ops = redis.call('ZRANGE', P_QAVAIL .. q, 0, -1)
  if #ops > 0 then
    local lowest = {} -- lowest level among the queue's available operators, per topic
    local heads = redis.call('ZRANGE', P_QWAIT .. q, 0, SCAN_PER_QUEUE - 1, 'WITHSCORES')
    for i = 1, #heads, 2 do
      local call_id, score = heads[i], tonumber(heads[i + 1])
      if best and (score > best[2] or (score == best[2] and call_id > best[1])) then
        break -- every later call of this queue ranks after the best found
      end
      local c = redis.call('HMGET', P_CALL .. call_id, 'topic', 'arrived_at_s', 'not_before_s')
      local topic = c[1] or ''
      local due = (not c[3]) or c[3] == '' or tonumber(c[3]) <= now
      if lowest[topic] == nil then
        lowest[topic] = math.huge
        for _, op_id in ipairs(ops) do
          lowest[topic] = math.min(lowest[topic], level(op_id, topic))
        end
      end
      local allowed = max_level(now - tonumber(c[2]))
      local takeable = due and lowest[topic] <= allowed
      if takeable and any_barred then
        takeable = false
        for _, op_id in ipairs(ops) do
          if level(op_id, topic) <= allowed and not barred(call_id, op_id) then
            takeable = true
            break
          end
        end
      end
      if takeable then
        best = {call_id, score, q, topic, allowed}
        break
      end
    end
  end
end
if not best then
  return false
end
local call_id, queue_id, topic, allowed = best[1], best[3], best[4], best[5]

local eligible = {} -- in idle order (longest idle first)
for _, op_id in ipairs(redis.call('ZRANGE', P_QAVAIL .. queue_id, 0, -1)) do
  if level(op_id, topic) <= allowed and not barred(call_id, op_id) then
    eligible[#eligible + 1] = op_id
  end
end

local op_id
if strategy == 'longest_idle' then
  op_id = eligible[1]
elseif strategy == 'fewest_calls' then
  local fewest
  for _, candidate in ipairs(eligible) do
    local taken = tonumber(redis.call('HGET', P_OP .. candidate, 'calls_taken') or '0')
    if fewest == nil or taken < fewest then
      op_id, fewest = candidate, taken
    end
  end
else -- round_robin or random
  table.sort(eligible)
  if strategy == 'round_robin' then
    local last = redis.call('GET', P_QLAST .. queue_id) or ''
    op_id = eligible[1]
    for _, candidate in ipairs(eligible) do
      if candidate > last then
        op_id = candidate
        break
      end
    end
    redis.call('SET', P_QLAST .. queue_id, op_id)
  else
    local h = 0
    for i = 1, #call_id do
      h = (h * 31 + string.byte(call_id, i)) % 2147483647
    end
    op_id = eligible[h % #eligible + 1]
  end
end

local op_key = P_OP .. op_id
local call_key = P_CALL .. call_id
remove_waiting(call_id, queue_id)
remove_available(op_id, redis.call('HGET', op_key, 'queues'))
redis.call('HSET', call_key, 'state', 'offered', 'operator_id', op_id, 'offered_at_s', at)
redis.call('HSET', op_key, 'state', 'ringing', 'call_id', call_id)
local c = redis.call('HMGET', call_key, 'channel', 'uniqueid', 'arrived_at_s', 'kind', 'number')
return {call_id, op_id, queue_id, c[1], c[2], c[3], c[4] or 'call', c[5] or ''}
