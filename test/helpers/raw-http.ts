import { connect } from 'node:net';

/**
 * One HTTP/1.1 request written byte for byte as given, for what `fetch` and `node:http` refuse to
 * send: raw bytes in the path, malformed percent-encoding, `..` segments, any header value,
 * bodies that lie about their type or encoding.
 */
export interface RawRequest {
  method: string;
  /** The request target as sent; each character one byte (latin1). */
  target: string;
  /**
   * Header lines as sent, `[name, value]` or a whole line (one without a colon, say); latin1.
   * Connection: close is always added.
   */
  headers: readonly (readonly [string, string] | string)[];
  body?: Uint8Array;
  /** Adds no Host and no Content-Length line (give them in `headers`, or leave them out). */
  bare?: boolean;
  /** The request line's protocol, `HTTP/1.1` unless given. */
  version?: string;
}

export interface RawAnswer {
  status: number;
  /** The status line and headers, as received. */
  head: string;
  body: Buffer;
}

const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})/;

/** The final (non-1xx) answer in `data`, or undefined while its head is incomplete. */
function parseAnswer(data: Buffer): RawAnswer | undefined {
  let rest = data;
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
    const head = rest.subarray(0, end).toString('latin1');
    const status = Number(STATUS_LINE.exec(head)?.[1] ?? NaN);
    if (Number.isNaN(status)) return undefined;
    rest = rest.subarray(end + 4);
    if (status >= 200) return { status, head, body: rest };
  }
}

/** The bytes of `request` as they go on the wire. */
export function rawBytes(port: number, request: RawRequest): Buffer {
  const lines = [`${request.method} ${request.target} ${request.version ?? 'HTTP/1.1'}`];
  // Without it the server would keep the connection open, and the answer would have no end.
  lines.push('Connection: close');
  if (!request.bare) lines.push(`Host: 127.0.0.1:${port}`);
  for (const header of request.headers)
    lines.push(typeof header === 'string' ? header : `${header[0]}: ${header[1]}`);
  if (!request.bare && request.body !== undefined)
    lines.push(`Content-Length: ${request.body.length}`);
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  return request.body === undefined ? head : Buffer.concat([head, request.body]);
}

/**
 * Sends `request` on a new connection to 127.0.0.1:`port` and reads the answer until the server
 * closes. Rejects when no answer comes within `timeoutMs` (a hung request is a finding too), or
 * when the connection ends without a status line.
 */
export function sendRaw(port: number, request: RawRequest, timeoutMs = 5000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (err?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const answer = parseAnswer(Buffer.concat(chunks));
      if (answer) resolve(answer);
      else reject(err ?? new Error('the connection closed without an HTTP answer'));
    };
    const timer = setTimeout(() => {
      finish(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('end', () => {
      finish();
    });
    // A server that answers before reading the whole body (413, 415) may reset the connection
    // while this side is still writing; the answer already read is what counts.
    socket.once('error', (err) => {
      finish(err);
    });
    socket.once('close', () => {
      finish();
    });
    socket.write(rawBytes(port, request));
  });
}
