--[[
  lineage: the replication ids of the master running the script, read once per script. A replica
  promoted to master takes a new master_replid and keeps its old master's as master_replid2; a
  master restarted from its own files gets a new replid and a replid2 of zeros.
  Included by includes/append-event.lua and master-lineage.lua; touches no key.

  Output: replid, and whether this master was promoted from a replica.
]]

local replid, promoted
local function lineage()
  if not replid then
    local info = redis.call('INFO', 'replication')
    replid = string.match(info, 'master_replid:(%x+)') or ''
    local second = string.match(info, 'master_replid2:(%x+)') or ''
    promoted = string.find(second, '[^0]') ~= nil
  end
  return replid, promoted
end
