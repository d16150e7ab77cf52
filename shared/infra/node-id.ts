import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** A name for this process among all of Khabar's: host, pid and a random part (pids repeat across restarts). */
export function createNodeId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}
