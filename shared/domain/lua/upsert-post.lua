--[[
  Stores a post and appends post:new, post:updated or post:removed to each channel it enters,
  stays in or leaves, atomically: the post hash, the recent lists (trimmed to their limit), and
  for each channel its seq, epoch and log, and the fan-out stream.
  Every key carries the `{feed}` hash tag (shared/domain/keys.ts): one slot on a Redis Cluster.

  Input:
    KEYS[1]    post hash: data, hash, acceptedAt, channels (removedAt on a tombstone)
    KEYS[2]    fan-out stream
    KEYS[3]    channels sorted set
    KEYS[4]    lineage hash (see includes/append-event.lua)
    KEYS[5..]  4 per changed channel, in the order of ARGV[13..]: recent sorted set, seq,
               epoch, log (see includes/append-event.lua)
    KEYS[#KEYS] set of trimmed post ids awaiting prune-post.lua (last, after the channels)

    ARGV[1]    expected content hash: the stored one, read just before ('' when none was)
    ARGV[2]    new content hash
    ARGV[3]    acceptedAt (ms)
    ARGV[4]    post JSON
    ARGV[5]    publishedAt (ms): the post's score in the recent lists
    ARGV[6]    the post's channels, comma-separated (remove-post and prune-post compare them)
    ARGV[7]    recent list limit (RECENT_LIMIT)
    ARGV[8]    log limit (HISTORY_LIMIT)
    ARGV[9]    epoch candidate, kept by a channel that has no epoch
    ARGV[10]   fan-out stream length (trimmed approximately)
    ARGV[11]   now (ms)
    ARGV[12]   post id
    ARGV[13..] 2 per changed channel: its name, then the event type (post:new, post:updated
               for a channel the post is in, post:removed for one it left)

  Output:
    {'applied', trimmedIds, {channel, seq, epoch, type}...}: trimmedIds left a recent list to
                   make room (and are added to KEYS[#KEYS], so a job that dies before pruning
                   them leaves them to the next); prune-post.lua deletes those no list holds
    {'unchanged'}  the stored content hash is ARGV[2] already: a re-send or a retried job
    {'conflict'}   the stored hash is not ARGV[1]: the post changed since it was read
    {'stale'}      a version accepted later than ARGV[3] is stored
    {'expired'}    a new post older than every full recent list it would enter: nothing stored
]]
--- @include "includes/lineage"
--- @include "includes/append-event"

local postKey = KEYS[1]
local trimmedKey = KEYS[#KEYS]
local expectedHash, newHash, acceptedAt, postJson = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local publishedMs, channelsCsv, recentLimit, historyLimit = ARGV[5], ARGV[6], tonumber(ARGV[7]), ARGV[8]
local epochCandidate, eventsMax, nowMs, id = ARGV[9], ARGV[10], ARGV[11], ARGV[12]
local FIRST_CHANNEL_ARG = 13
local changed = (#ARGV - FIRST_CHANNEL_ARG + 1) / 2

local stored = redis.call('HMGET', postKey, 'hash', 'acceptedAt')
local storedHash = stored[1] or ''
if storedHash == newHash then return {'unchanged'} end
if storedHash ~= expectedHash then return {'conflict'} end
if stored[2] and tonumber(stored[2]) > tonumber(acceptedAt) then return {'stale'} end

-- A new post older than every full list it would enter would be trimmed at once: store nothing,
-- or a feed would bring back, at every poll, each old item that trimming deleted.
if storedHash == '' then
  local fits = false
  for i = 1, changed do
    local c = channelBase(i)
    local lowest = redis.call('ZRANGE', KEYS[c + RECENT], 0, 0, 'WITHSCORES')
    if redis.call('ZCARD', KEYS[c + RECENT]) < recentLimit or tonumber(publishedMs) > tonumber(lowest[2]) then
      fits = true
      break
    end
  end
  if not fits then return {'expired'} end
end

redis.call('HSET', postKey, 'data', postJson, 'hash', newHash, 'acceptedAt', acceptedAt, 'channels', channelsCsv)
redis.call('HDEL', postKey, 'removedAt')
redis.call('PERSIST', postKey)
local trimmed = {}
local out = {'applied', trimmed}
for i = 1, changed do
  local c = channelBase(i)
  local channel, etype = ARGV[FIRST_CHANNEL_ARG + (i - 1) * 2], ARGV[FIRST_CHANNEL_ARG + (i - 1) * 2 + 1]
  if etype == 'post:removed' then
    redis.call('ZREM', KEYS[c + RECENT], id)
    table.insert(out, appendEvent(c, channel, etype, id, false, historyLimit, epochCandidate, eventsMax, nowMs, acceptedAt))
  else
    redis.call('ZADD', KEYS[c + RECENT], publishedMs, id)
    local over = redis.call('ZCARD', KEYS[c + RECENT]) - recentLimit
    if over > 0 then
      for _, old in ipairs(redis.call('ZRANGE', KEYS[c + RECENT], 0, over - 1)) do
        table.insert(trimmed, old)
        redis.call('SADD', trimmedKey, old)
      end
      redis.call('ZREMRANGEBYRANK', KEYS[c + RECENT], 0, over - 1)
    end
    table.insert(out, appendEvent(c, channel, etype, id, postJson, historyLimit, epochCandidate, eventsMax, nowMs, acceptedAt))
  end
end
return out
