import { get, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';

/** One Server-Sent Events block as it came on the wire: an event, or a comment line. */
export interface SseFrame {
  event?: string;
  id?: string;
  data?: string;
  comment?: string;
}

export interface SseReader {
  status: number;
  headers: IncomingHttpHeaders;
  /** Every frame so far, in order. */
  frames: SseFrame[];
  /** The next frame not taken yet that satisfies `accept` (earlier ones are skipped). */
  next(accept?: (frame: SseFrame) => boolean, timeoutMs?: number): Promise<SseFrame>;
  /** Resolves when the response is over: true when the server ended it, false when cut off. */
  ended: Promise<boolean>;
  close(): void;
}

/**
 * A raw HTTP reader of `text/event-stream`: it parses the bytes itself (no EventSource), so a
 * test sees exactly what the server wrote, comments included, and sets any header it likes.
 */
export function readSse(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
  return new Promise((resolve, reject) => {
    const request = get(url, { headers }, (res: IncomingMessage) => {
      const frames: SseFrame[] = [];
      let taken = 0;
      let buffered = '';
      let wake: (() => void) | undefined;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffered += chunk;
        let end: number;
        while ((end = buffered.indexOf('\n\n')) >= 0) {
          const block = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const frame: SseFrame = {};
          for (const line of block.split('\n')) {
            const colon = line.indexOf(':');
            const field = line.slice(0, colon);
            const value = line.slice(colon + 1).replace(/^ /, '');
            if (field === '') frame.comment = value;
            else if (field === 'event' || field === 'id' || field === 'data') frame[field] = value;
          }
          frames.push(frame);
        }
        wake?.();
      });
      const ended = new Promise<boolean>((done) => {
        res.on('end', () => {
          done(true);
        });
        res.on('close', () => {
          done(res.complete);
        });
      });
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        frames,
        ended,
        close: () => {
          request.destroy();
        },
        async next(accept = () => true, timeoutMs = 5000) {
          const deadline = Date.now() + timeoutMs;
          for (;;) {
            while (taken < frames.length) {
              const frame = frames[taken++] as SseFrame;
              if (accept(frame)) return frame;
            }
            const left = deadline - Date.now();
            if (left <= 0) throw new Error(`no such frame within ${timeoutMs} ms`);
            await new Promise<void>((woken) => {
              const timer = setTimeout(woken, left);
              wake = () => {
                clearTimeout(timer);
                woken();
              };
            });
          }
        },
      });
    });
    request.on('error', reject);
  });
}
