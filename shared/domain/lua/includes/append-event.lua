--[[
  appendEvent: appends one event to a channel's log and copies it to the fan-out stream.
  renewIfPromoted: gives a channel a new epoch when a failover may have rolled its log back.
  Included, after includes/lineage.lua, by upsert-post.lua, remove-post.lua and
  reconcile-channel.lua, whose keys they expect laid out as:
    KEYS[2]  fan-out stream: every event of every channel, tailed by each server node
    KEYS[3]  channels sorted set: channel name, scored by the time of its last event
    KEYS[4]  lineage hash: channel → the master_replid of the master that last appended to it
    KEYS[c + RECENT], KEYS[c + SEQ], KEYS[c + EPOCH], KEYS[c + LOG]: the i-th channel's recent
             sorted set, seq counter, epoch string and log stream, c = channelBase(i), i from 1
             (KEYS[5] to KEYS[8] for the first channel, KEYS[9] to KEYS[12] for the second, …)

  Output of appendEvent: {channel, seq, epoch, type}, one row of the including script's reply.
]]

local RECENT, SEQ, EPOCH, LOG = 1, 2, 3, 4

local function channelBase(i)
  return 4 + (i - 1) * 4
end

-- Redis replicates asynchronously: when a replica is promoted, events its old master appended
-- after the last replication are gone, and the channel's seq goes back. Readers may hold those
-- seqs; reusing them for other events would make readers skip those and keep posts the service
-- lost. So the first append after a promotion, in a channel last appended to under another
-- master, starts a new epoch at seq 1: readers holding the old epoch get `recovered: false` and
-- a snapshot. A channel never appended to before, or a master restarted from its files (its
-- history intact), only records the lineage. Returns whether the channel got a new epoch.
local function renewIfPromoted(c, channel, epochCandidate)
  local current, wasPromoted = lineage()
  local recorded = redis.call('HGET', KEYS[4], channel)
  if recorded == current then return false end
  redis.call('HSET', KEYS[4], channel, current)
  if not (recorded and wasPromoted) then return false end
  redis.call('SET', KEYS[c + EPOCH], epochCandidate)
  redis.call('SET', KEYS[c + SEQ], 0)
  redis.call('DEL', KEYS[c + LOG])
  return true
end

-- body: the post JSON, or false for an event without one (post:removed). The epoch is created
-- once (SET NX) and changes only if its key is missing (the channel's history was lost) or a
-- failover may have rolled the channel back (renewIfPromoted). The log entry's id is
-- `<seq>-0`, so a replay after a cursor is one exact XRANGE. The fan-out entry carries when the
-- change was accepted (a) and when its writer called this script (w), its own id when Redis
-- stored it: each server node times the hops of the path from them (khabar_fanout_hop_seconds).
local function appendEvent(c, channel, etype, id, body, historyLimit, epochCandidate, eventsMax, nowMs, acceptedMs)
  renewIfPromoted(c, channel, epochCandidate)
  redis.call('SET', KEYS[c + EPOCH], epochCandidate, 'NX')
  local epoch = redis.call('GET', KEYS[c + EPOCH])
  local seq = redis.call('INCR', KEYS[c + SEQ])
  local sid = seq .. '-0'
  if body then
    redis.call('XADD', KEYS[c + LOG], 'MAXLEN', historyLimit, sid, 't', etype, 'i', id, 'p', body)
    redis.call('XADD', KEYS[2], 'MAXLEN', '~', eventsMax, '*', 'c', channel, 's', seq, 'e', epoch, 't', etype, 'i', id, 'a', acceptedMs, 'w', nowMs, 'p', body)
  else
    redis.call('XADD', KEYS[c + LOG], 'MAXLEN', historyLimit, sid, 't', etype, 'i', id)
    redis.call('XADD', KEYS[2], 'MAXLEN', '~', eventsMax, '*', 'c', channel, 's', seq, 'e', epoch, 't', etype, 'i', id, 'a', acceptedMs, 'w', nowMs)
  end
  redis.call('ZADD', KEYS[3], nowMs, channel)
  return {channel, seq, epoch, etype}
end
