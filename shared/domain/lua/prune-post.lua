--[[
  Deletes a post that no recent list holds any more (one trimmed to make room): a post lives
  while some channel shows it. A tombstone (a removed post) has no channels and stays.
  Every key carries the `{feed}` hash tag (shared/domain/keys.ts): one slot on a Redis Cluster.

  Input:
    KEYS[1]    post hash
    KEYS[2]    set of trimmed post ids awaiting this script (the id leaves it, whatever the outcome
               but 'conflict')
    KEYS[3..]  the recent sorted set of each channel in ARGV[1], in that order

    ARGV[1]    the post's channels as read before, comma-separated
    ARGV[2]    post id

  Output:
    'deleted'   no recent list held it
    'kept'      a recent list holds it
    'gone'      no such post, or a tombstone
    'conflict'  its channels are not ARGV[1] any more: read again and retry
]]

local postKey, trimmedKey = KEYS[1], KEYS[2]
local expectedChannels, id = ARGV[1], ARGV[2]

local channels = redis.call('HGET', postKey, 'channels')
if not channels then
  redis.call('SREM', trimmedKey, id)
  return 'gone'
end
if channels ~= expectedChannels then return 'conflict' end
redis.call('SREM', trimmedKey, id)
for i = 3, #KEYS do
  if redis.call('ZSCORE', KEYS[i], id) then return 'kept' end
end
redis.call('DEL', postKey)
return 'deleted'
