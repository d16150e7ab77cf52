--[[
  appendEvent: appends one event to a channel's log and copies it to the fan-out stream.
  Included by upsert-post.lua and remove-post.lua, whose keys it expects laid out as:
    KEYS[2]  fan-out stream: every event of every channel, tailed by each server node
    KEYS[3]  channels sorted set: channel name, scored by the time of its last event
    KEYS[c + RECENT], KEYS[c + SEQ], KEYS[c + EPOCH], KEYS[c + LOG]: the i-th channel's recent
             sorted set, seq counter, epoch string and log stream, c = channelBase(i), i from 1
             (KEYS[4] to KEYS[7] for the first channel, KEYS[8] to KEYS[11] for the second, …)

  Output: {channel, seq, epoch, type}, one row of the including script's reply.
]]

local RECENT, SEQ, EPOCH, LOG = 1, 2, 3, 4

local function channelBase(i)
  return 3 + (i - 1) * 4
end

-- body: the post JSON, or false for an event without one (post:removed). The epoch is created
-- once (SET NX) and changes only if its key is missing, i.e. the channel's history was lost. The
-- log entry's id is `<seq>-0`, so a replay after a cursor is one exact XRANGE.
local function appendEvent(c, channel, etype, id, body, historyLimit, epochCandidate, eventsMax, nowMs, acceptedMs)
  redis.call('SET', KEYS[c + EPOCH], epochCandidate, 'NX')
  local epoch = redis.call('GET', KEYS[c + EPOCH])
  local seq = redis.call('INCR', KEYS[c + SEQ])
  local sid = seq .. '-0'
  if body then
    redis.call('XADD', KEYS[c + LOG], 'MAXLEN', historyLimit, sid, 't', etype, 'i', id, 'p', body)
    redis.call('XADD', KEYS[2], 'MAXLEN', '~', eventsMax, '*', 'c', channel, 's', seq, 'e', epoch, 't', etype, 'i', id, 'a', acceptedMs, 'p', body)
  else
    redis.call('XADD', KEYS[c + LOG], 'MAXLEN', historyLimit, sid, 't', etype, 'i', id)
    redis.call('XADD', KEYS[2], 'MAXLEN', '~', eventsMax, '*', 'c', channel, 's', seq, 'e', epoch, 't', etype, 'i', id, 'a', acceptedMs)
  end
  redis.call('ZADD', KEYS[3], nowMs, channel)
  return {channel, seq, epoch, etype}
end
