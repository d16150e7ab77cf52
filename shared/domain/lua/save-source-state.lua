--[[
  Writes what the poller learned about a feed source, unless the source was deleted meanwhile:
  a poll that ends after DELETE must not bring the source back.
  Every key carries the `{feed}` hash tag (shared/domain/keys.ts): one slot on a Redis Cluster.

  Input:
    KEYS[1]  the source hash: config (what the API set), state (what the poller learned)

    ARGV[1]  the state, as JSON

  Output: 1 when written, 0 when the source is gone.
]]

local sourceKey = KEYS[1]
local stateJson = ARGV[1]

if redis.call('HEXISTS', sourceKey, 'config') == 1 then
  redis.call('HSET', sourceKey, 'state', stateJson)
  return 1
end
return 0
