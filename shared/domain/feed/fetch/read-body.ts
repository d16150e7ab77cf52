/** Response bodies read with a size cap, or thrown away so the connection can be reused. */
import type { Response } from 'undici';
import { FetchError } from './fetch-error.js';

/** Drops a body that will not be read, so the connection goes back to the pool. */
export async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}

/**
 * Reads a body, decompressed, refusing more than `maxBytes`: reading stops, and the connection
 * is dropped, as soon as the count passes the cap, so a compression bomb is never inflated
 * beyond it. Bounded by `maxBytes` and by the caller's deadline.
 */
export async function readCapped(
  response: Response,
  url: string,
  maxBytes: number,
): Promise<Uint8Array> {
  const tooLarge = (): FetchError =>
    new FetchError(
      'too_large',
      `The feed at ${url} is larger than ${maxBytes} bytes (after decompression); it was not read. ` +
        'Feeds this big are usually not feeds; ask the publisher to trim it.',
    );
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  const encoded = response.headers.get('content-encoding');
  if (encoded === null && Number.isFinite(declared) && declared > maxBytes) {
    await discard(response);
    throw tooLarge();
  }
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = (await reader.read()) as ReadableStreamReadResult<Uint8Array>;
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      chunks.length = 0;
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  if (chunks.length === 1 && chunks[0] !== undefined) return chunks[0];
  const body = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.byteLength;
  }
  return body;
}
