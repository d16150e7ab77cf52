--[[
  Removes a post (a retraction): leaves a tombstone in its hash, so that a feed still listing
  the story does not bring it back, takes it out of each channel's recent list and appends
  post:removed to each channel's log and the fan-out stream, atomically.
  Every key carries the `{feed}` hash tag (shared/domain/keys.ts): one slot on a Redis Cluster.

  Input:
    KEYS[1]    post hash
    KEYS[2]    fan-out stream
    KEYS[3]    channels sorted set
    KEYS[4]    lineage hash (see includes/append-event.lua)
    KEYS[5..]  4 per channel of the post, in the order of ARGV[8..]: recent sorted set, seq,
               epoch, log (see includes/append-event.lua)

    ARGV[1]    the post's channels as read before, comma-separated
    ARGV[2]    log limit (HISTORY_LIMIT)
    ARGV[3]    epoch candidate, kept by a channel that has no epoch
    ARGV[4]    fan-out stream length (trimmed approximately)
    ARGV[5]    now (ms): the tombstone's removedAt and the events' acceptance time
    ARGV[6]    post id
    ARGV[7]    how long the tombstone is kept (ms)
    ARGV[8..]  the post's channels, one each

  Output:
    {'removed', {channel, seq, epoch, 'post:removed'}...}
    {'missing'}   no such post (or only its tombstone)
    {'conflict'}  its channels are not ARGV[1] any more: read again and retry
]]
--- @include "includes/lineage"
--- @include "includes/append-event"

local postKey = KEYS[1]
local expectedChannels, historyLimit, epochCandidate, eventsMax = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local nowMs, id, tombstoneMs = ARGV[5], ARGV[6], ARGV[7]
local FIRST_CHANNEL_ARG = 8

local channels = redis.call('HGET', postKey, 'channels')
if not channels then return {'missing'} end
if channels ~= expectedChannels then return {'conflict'} end
redis.call('DEL', postKey)
redis.call('HSET', postKey, 'removedAt', nowMs)
redis.call('PEXPIRE', postKey, tombstoneMs)
local out = {'removed'}
for i = 1, #ARGV - FIRST_CHANNEL_ARG + 1 do
  local c = channelBase(i)
  redis.call('ZREM', KEYS[c + RECENT], id)
  table.insert(out, appendEvent(c, ARGV[FIRST_CHANNEL_ARG + i - 1], 'post:removed', id, false, historyLimit, epochCandidate, eventsMax, nowMs, nowMs))
end
return out
