--[[
  After a failover, for a channel that a server node caches: if the master running this script
  was promoted since the channel was last appended to, gives the channel a new epoch and appends
  one event in it, so that every reader of the channel (on every node) learns of the new epoch,
  resubscribes and gets the service's list. A channel written after the failover has its new
  epoch already (the write did it): then nothing happens. See includes/append-event.lua.

  The event is true of the service whatever a reader applies it to: `post:removed` for a post
  the node shows that the channel no longer lists (the failover lost it), else `post:updated`
  with the current version of the newest post the channel lists.
  Every key carries the `{feed}` hash tag (shared/domain/keys.ts): one slot on a Redis Cluster.

  Input:
    KEYS[1]    the channel's recent sorted set (also KEYS[5])
    KEYS[2]    fan-out stream
    KEYS[3]    channels sorted set
    KEYS[4]    lineage hash
    KEYS[5..]  the channel's recent sorted set, seq, epoch and log (KEYS[5] to KEYS[8]), then
               the post hash of each candidate id, in the order of ARGV[6..]

    ARGV[1]    epoch candidate
    ARGV[2]    log limit (HISTORY_LIMIT)
    ARGV[3]    fan-out stream length (trimmed approximately)
    ARGV[4]    now (ms)
    ARGV[5]    the channel
    ARGV[6..]  candidate ids: those the node shows, newest first, then the channel's newest

  Output:
    {'current'}                 the channel's epoch is of this master's lineage: nothing to do
    {'renewed', {channel, seq, epoch, type}?}  a new epoch, and the event appended in it (none
                                when the node shows nothing and the channel lists nothing)
]]
--- @include "includes/lineage"
--- @include "includes/append-event"

local epochCandidate, historyLimit, eventsMax, nowMs, channel = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local FIRST_ID_ARG, FIRST_POST_KEY = 6, 9
local c = channelBase(1)

if not renewIfPromoted(c, channel, epochCandidate) then return {'current'} end

for i = FIRST_ID_ARG, #ARGV do
  if not redis.call('ZSCORE', KEYS[1], ARGV[i]) then
    return {'renewed', appendEvent(c, channel, 'post:removed', ARGV[i], false, historyLimit, epochCandidate, eventsMax, nowMs, nowMs)}
  end
end
for i = FIRST_ID_ARG, #ARGV do
  local data = redis.call('HGET', KEYS[FIRST_POST_KEY + i - FIRST_ID_ARG], 'data')
  if data then
    return {'renewed', appendEvent(c, channel, 'post:updated', ARGV[i], data, historyLimit, epochCandidate, eventsMax, nowMs, nowMs)}
  end
end
return {'renewed'}
