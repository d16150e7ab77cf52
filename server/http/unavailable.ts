import { AppError, appError } from '../../shared/infra/errors.js';
import { RedisTimeoutError } from '../../shared/infra/redis-health.js';

/** The answer while storage fails; `cause` is kept for the log (errors.ts decides how loud). */
export function redisUnavailable(cause: unknown): AppError {
  return appError('redis_unavailable', { cause });
}

/**
 * Runs a Redis-backed step with a deadline. Whatever goes wrong in storage becomes a 503
 * with Retry-After, so a request never hangs and never pretends to have succeeded.
 */
export async function orUnavailable<T>(work: Promise<T>, timeoutMs = 2000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new RedisTimeoutError(timeoutMs));
    }, timeoutMs);
  });
  try {
    return await Promise.race([work, deadline]);
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw redisUnavailable(err);
  } finally {
    clearTimeout(timer);
  }
}
