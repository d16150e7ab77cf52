--[[
  A consistent read of a channel: its epoch, its seq and its newest posts, as of one moment.
  The caller reads the ids first (ZREVRANGEBYSCORE) and passes their post hashes as keys, so
  that every key read is declared; the script reads the ids again, and if one of them is not
  among the candidates (the list changed in between) it answers the ids to retry with.
  Every key carries the `{feed}` hash tag (shared/domain/keys.ts): one slot on a Redis Cluster.

  Input:
    KEYS[1]    the channel's recent sorted set
    KEYS[2]    the channel's seq
    KEYS[3]    the channel's epoch
    KEYS[4..]  the post hash of each candidate id, in the order of ARGV[3..]

    ARGV[1]    how many posts, at most
    ARGV[2]    the highest score (publishedAt ms) to read: '+inf', or '(<ms>' for older than ms
    ARGV[3..]  the candidate ids

  Output:
    {'ok', epoch ('' when the channel has none), seq ('0' when none), postJson...}: newest first
    {'retry', id...}: the ids now in range, one of them not a candidate
]]

local recentKey, seqKey, epochKey = KEYS[1], KEYS[2], KEYS[3]
local limit, maxScore = tonumber(ARGV[1]), ARGV[2]
local FIRST_CANDIDATE_ARG, FIRST_POST_KEY = 3, 4

local postKeyOf = {}
for i = FIRST_CANDIDATE_ARG, #ARGV do
  postKeyOf[ARGV[i]] = FIRST_POST_KEY + i - FIRST_CANDIDATE_ARG
end

local ids = redis.call('ZREVRANGEBYSCORE', recentKey, maxScore, '-inf', 'LIMIT', 0, limit)
for _, id in ipairs(ids) do
  if not postKeyOf[id] then
    table.insert(ids, 1, 'retry')
    return ids
  end
end

local out = {'ok', redis.call('GET', epochKey) or '', redis.call('GET', seqKey) or '0'}
for _, id in ipairs(ids) do
  local data = redis.call('HGET', KEYS[postKeyOf[id]], 'data')
  if data then table.insert(out, data) end
end
return out
