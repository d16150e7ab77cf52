--[[
  Merges a change into a feed source's WebSub status (the `push` field of its hash), unless the
  source was deleted meanwhile, or the change is about a subscription the source has replaced
  (a verification or a push for the old hub must not overwrite the new one's status).
  Every key carries the `{feed}` hash tag (shared/domain/keys.ts): one slot on a Redis Cluster.

  Input:
    KEYS[1]  the source hash: config, state, push (JSON)

    ARGV[1]  the change, a JSON object: each field set, or removed when null
    ARGV[2]  the subscription id the status must belong to, or '' for any

  Output: 1 when written, 0 when the source is gone or belongs to another subscription.
]]

local sourceKey = KEYS[1]
local changeJson = ARGV[1]
local expectedSubscription = ARGV[2]

if redis.call('HEXISTS', sourceKey, 'config') == 0 then
  return 0
end
local current = redis.call('HGET', sourceKey, 'push')
local push = {}
if current then
  push = cjson.decode(current)
end
if expectedSubscription ~= '' and push['subscriptionId'] ~= expectedSubscription then
  return 0
end
for field, value in pairs(cjson.decode(changeJson)) do
  if value == cjson.null then
    push[field] = nil
  else
    push[field] = value
  end
end
redis.call('HSET', sourceKey, 'push', cjson.encode(push))
return 1
