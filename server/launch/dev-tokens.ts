import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { GeneratedSecret } from '../../shared/infra/config.js';

/**
 * Development tokens that outlive a restart. Outside production, a token variable left unset
 * gets a token from this file (created on first use, readable by its owner only), so the token
 * pasted into curl or the dashboard keeps working after `npm start` is restarted. Production
 * never reads it: there an unset token variable switches its API off.
 */
export const DEV_TOKENS_FILE = '.data/dev-tokens.env';

export const TOKEN_VARIABLES: readonly GeneratedSecret[] = ['INGEST_TOKENS', 'NEWSROOM_TOKENS'];

export type DevTokens = Record<GeneratedSecret, string>;

const HEADER = `# Khabar's development tokens, kept by npm start outside production.
# Delete this file for new ones. Set INGEST_TOKENS / NEWSROOM_TOKENS to use your own.
`;

function parse(text: string): Partial<DevTokens> {
  const tokens: Partial<DevTokens> = {};
  for (const line of text.split('\n')) {
    const match = /^(INGEST_TOKENS|NEWSROOM_TOKENS)=(\S+)$/.exec(line.trim());
    if (match?.[1] && match[2]) tokens[match[1] as GeneratedSecret] = match[2];
  }
  return tokens;
}

/** The tokens in `file`, creating it (or completing it) with random ones where missing. */
export function loadDevTokens(file = DEV_TOKENS_FILE): DevTokens {
  let stored: Partial<DevTokens> = {};
  try {
    stored = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const tokens: DevTokens = {
    INGEST_TOKENS: stored.INGEST_TOKENS ?? randomBytes(24).toString('base64url'),
    NEWSROOM_TOKENS: stored.NEWSROOM_TOKENS ?? randomBytes(24).toString('base64url'),
  };
  if (stored.INGEST_TOKENS === undefined || stored.NEWSROOM_TOKENS === undefined) {
    mkdirSync(dirname(file), { recursive: true });
    const body = TOKEN_VARIABLES.map((name) => `${name}=${tokens[name]}\n`).join('');
    writeFileSync(file, HEADER + body, { mode: 0o600 });
  }
  return tokens;
}

export interface WithDevTokens {
  env: NodeJS.ProcessEnv;
  /** The variables that were unset and now hold the file's token. */
  filled: GeneratedSecret[];
}

/**
 * `env` with each unset token variable taken from the development tokens file, outside
 * production only. When the file cannot be written (a read-only checkout), `env` comes back as
 * it was and the configuration generates a token for the run instead.
 */
export function withDevTokens(env: NodeJS.ProcessEnv, file = DEV_TOKENS_FILE): WithDevTokens {
  const unset = TOKEN_VARIABLES.filter((name) => (env[name] ?? '') === '');
  if (env.NODE_ENV === 'production' || unset.length === 0) return { env, filled: [] };
  let tokens: DevTokens;
  try {
    tokens = loadDevTokens(file);
  } catch {
    return { env, filled: [] };
  }
  const filled = { ...env };
  for (const name of unset) filled[name] = tokens[name];
  return { env: filled, filled: unset };
}
