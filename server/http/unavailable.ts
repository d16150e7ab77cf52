import { AppError } from '../../shared/errors.js';

/**
 * Runs a Redis-backed step with a deadline. Whatever goes wrong in storage becomes a 503
 * with Retry-After, so a request never hangs and never pretends to have succeeded.
 */
export async function orUnavailable<T>(work: Promise<T>, timeoutMs = 2000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`storage did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([work, deadline]);
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError(
      503,
      'redis_unavailable',
      'Storage is unavailable; retry in a few seconds.',
      undefined,
      {
        cause: err,
      },
    );
  } finally {
    clearTimeout(timer);
  }
}
