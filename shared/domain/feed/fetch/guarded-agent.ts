/**
 * The connection pools of the poller: undici Agents that connect only to addresses the policy
 * allows, checked on the address actually connected to (no DNS-rebinding window).
 */
import { Agent, buildConnector } from 'undici';
import {
  BlockedAddressError,
  createGuardedLookup,
  literalAddress,
  type AddressPolicy,
} from '../../address-guard.js';

/**
 * One undici Agent per (policy, connect timeout), reused across fetches. Its connector resolves
 * names through the guarded lookup, so the address connected to is the address vetted, and
 * refuses IP-literal hosts the policy refuses (Node skips `lookup` for literals).
 */
let agents = new WeakMap<AddressPolicy, Map<number, Agent>>();

const liveAgents = new Set<WeakRef<Agent>>();

/** The pooled Agent for `policy` and `connectTimeoutMs`, created on first use. */
export function agentFor(policy: AddressPolicy, connectTimeoutMs: number): Agent {
  let byTimeout = agents.get(policy);
  if (!byTimeout) {
    byTimeout = new Map();
    agents.set(policy, byTimeout);
  }
  let agent = byTimeout.get(connectTimeoutMs);
  if (!agent) {
    const connectGuarded = buildConnector({
      timeout: connectTimeoutMs,
      lookup: createGuardedLookup(policy),
    });
    agent = new Agent({
      connect: (options, callback) => {
        const literal = literalAddress(options.hostname);
        if (literal !== undefined && !policy(literal)) {
          callback(new BlockedAddressError(literal, literal), null);
          return;
        }
        connectGuarded(options, callback);
      },
    });
    byTimeout.set(connectTimeoutMs, agent);
    liveAgents.add(new WeakRef(agent));
  }
  return agent;
}

/** Closes the pooled connections of every fetch so far (shutdown, tests); later fetches reconnect. */
export async function closeFetchAgents(): Promise<void> {
  const open = [...liveAgents].flatMap((ref) => ref.deref() ?? []);
  liveAgents.clear();
  agents = new WeakMap();
  await Promise.all(open.map((agent) => agent.close()));
}
