-- claim(call_id, controller_id, lease_prefix): make `controller_id` the owner of a call in
-- progress (waiting, offered or talking) if it is free to take: already its own, no owner
-- recorded, or an owner whose lease (`lease_prefix .. owner`) has expired. One script, so two
-- controllers taking over from a dead one never both get the call: the first makes itself
-- the owner, and its lease is alive when the second asks.
-- Returns 1 when the call is `controller_id`'s after, 0 otherwise (unknown, over, or owned by
-- a controller that is alive).
local call_key = P_CALL .. ARGV[A]
local me, lease_prefix = ARGV[A + 1], ARGV[A + 2]
local st = redis.call('HMGET', call_key, 'state', 'owner')
if st[1] ~= 'waiting' and st[1] ~= 'offered' and st[1] ~= 'talking' then
  return 0
end
local owner = st[2]
if owner == me then
  return 1
end
if owner and owner ~= '' and redis.call('EXISTS', lease_prefix .. owner) == 1 then
  return 0
end
redis.call('HSET', call_key, 'owner', me)
return 1
