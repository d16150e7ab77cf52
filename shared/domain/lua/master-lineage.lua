--[[
  Which master this is, for a server node watching for failovers: its master_replid, and whether
  it was promoted from a replica (a non-zero master_replid2). See includes/append-event.lua.
  Its key carries the `{feed}` hash tag (shared/domain/keys.ts), like every data key.

  Input:
    KEYS[1]  lineage hash: not read; it routes the call, on a Cluster, to the master of the
             data's slot

  Output: {replid, 1 if promoted else 0}
]]
--- @include "includes/lineage"

-- Only the routing needs the key: on a Cluster, the master of its slot runs the script.
local routedBy = KEYS[1]
local current, wasPromoted = lineage()
return {current, wasPromoted and 1 or 0}
