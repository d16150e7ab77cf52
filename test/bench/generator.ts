import { get as httpGet } from 'node:http';
import { connect as connectTcp, type Socket as TcpSocket } from 'node:net';
import { WebSocket } from 'ws';
import { articleNumber, publishedAtMs } from './payload.js';
import { coreTimes, PINNING, serveParent, sleep } from './proc.js';
import { summarize, type Summary } from './stats.js';

/**
 * The load generator, in a process of its own on a core of its own. Its clients are as thin
 * as a client can be, so that the generator's CPU does not decide the result: raw TCP for
 * the floor (B0), raw `ws` for B1, and for Socket.IO servers (B2, Khabar) raw `ws` speaking
 * just enough of the protocol: `EIO=4&transport=websocket`, `40` to join, ping `2` → pong
 * `3`, events `42[…]`, acks `43…`, Khabar's subscribes in the connect packet
 * (`40{"subscribe": […]}`, answered by `42["subscribed", …]`); and for Khabar's Server-Sent Events, Node's HTTP client
 * reading `text/event-stream` (events end with a blank line). A received event is matched to its article by the number
 * in its title; its latency is the receipt time minus the article's scheduled time, both
 * from `process.hrtime` (CLOCK_MONOTONIC, the same clock in every process of the host).
 */

type Mode = 'net' | 'ws' | 'sio' | 'sse';

interface Client {
  send(text: string): void;
  close(): void;
  /** The last cursor this client saw (storm scenario only). */
  cursor?: string;
}

const clients: Client[] = [];
let mode: Mode = 'ws';

/** What is being recorded now: article numbers [firstN, firstN + count), scheduled times. */
let window:
  | {
      firstN: number;
      count: number;
      burst: number;
      t0Ns: number;
      periodNs: number;
      latencies: Float64Array;
      /** From the accept (Khabar) or broadcast call (baselines) to receipt, wall clock, ms. */
      fromAccept: Float64Array;
      /** The slowest copy of each article (ms), to tell a slow article from a slow client. */
      slowest: Float64Array;
      received: number;
      lastAt: number;
    }
  | undefined;
let trackCursors = false;
/** Subscribe answers still awaited (storm scenario), and when the last one came. */
let pendingAnswers = 0;
/** The cursors of the clients that dropped (storm scenario), for their return. */
let away: (string | undefined)[] = [];
/** Cursors saved for a resubscribe storm on open connections. */
let saved: (string | undefined)[] = [];
let recovered = 0;
let lastAnswerAt = 0n;

const CURSOR = Buffer.from('"cursor":"');
/** The answer to a subscribe made in the handshake. */
const SUBSCRIBED = Buffer.from('42["subscribed",');

function record(frame: Buffer, from = 0): void {
  const w = window;
  if (!w) return;
  const n = articleNumber(frame, from);
  if (n < w.firstN || n >= w.firstN + w.count) return;
  const now = Number(process.hrtime.bigint());
  const scheduled = w.t0Ns + Math.floor((n - w.firstN) / w.burst) * w.periodNs;
  const latency = (now - scheduled) / 1e6;
  if (w.received < w.latencies.length) {
    w.latencies[w.received] = latency;
    w.fromAccept[w.received] =
      performance.timeOrigin + performance.now() - publishedAtMs(frame, from);
  }
  const i = n - w.firstN;
  if (latency > (w.slowest[i] ?? 0)) w.slowest[i] = latency;
  w.received++;
  w.lastAt = now;
}

function lastCursorIn(frame: Buffer): string | undefined {
  const at = frame.lastIndexOf(CURSOR);
  if (at === -1) return undefined;
  const start = at + CURSOR.length;
  const end = frame.indexOf(34, start); // closing quote
  return end === -1 ? undefined : frame.toString('latin1', start, end);
}

function connectNet(url: URL): Promise<Client> {
  return new Promise((resolve, reject) => {
    const socket: TcpSocket = connectTcp(Number(url.port), url.hostname);
    let rest: Buffer | undefined;
    socket.setNoDelay(true);
    socket.once('error', reject);
    socket.once('connect', () => {
      resolve({ send: () => undefined, close: () => socket.destroy() });
    });
    socket.on('data', (chunk: Buffer) => {
      // Frames end with "\n"; a chunk may end in the middle of one.
      const data = rest ? Buffer.concat([rest, chunk]) : chunk;
      let start = 0;
      for (let end = data.indexOf(10); end !== -1; end = data.indexOf(10, start)) {
        record(data.subarray(start, end));
        start = end + 1;
      }
      rest = start < data.length ? Buffer.from(data.subarray(start)) : undefined;
    });
  });
}

const EVENT_END = Buffer.from('\n\n');
const SNAPSHOT = Buffer.from('event: snapshot\n');

/** A Server-Sent Events client of `url`: ready once its first event (the snapshot) came. */
function connectSse(url: URL): Promise<Client> {
  return new Promise((resolve, reject) => {
    const request = httpGet(url, { agent: false, headers: { accept: 'text/event-stream' } });
    const client: Client = {
      send: () => undefined,
      close: () => {
        request.destroy();
      },
    };
    request.once('error', reject);
    request.once('response', (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        reject(new Error(`GET ${url.pathname} answered ${response.statusCode}`));
        return;
      }
      let rest: Buffer | undefined;
      response.on('data', (chunk: Buffer) => {
        // A chunk may end in the middle of an event.
        const data = rest ? Buffer.concat([rest, chunk]) : chunk;
        let start = 0;
        for (let end = data.indexOf(EVENT_END); end !== -1; end = data.indexOf(EVENT_END, start)) {
          const snapshot = data.compare(
            SNAPSHOT,
            0,
            SNAPSHOT.length,
            start,
            start + SNAPSHOT.length,
          );
          if (snapshot === 0) resolve(client);
          else record(data.subarray(start, end));
          start = end + EVENT_END.length;
        }
        rest = start < data.length ? Buffer.from(data.subarray(start)) : undefined;
      });
    });
  });
}

function connectWs(url: URL, subscribe?: Record<string, unknown>): Promise<Client> {
  return new Promise((resolve, reject) => {
    const target =
      mode === 'sio' ? `ws://${url.host}/socket.io/?EIO=4&transport=websocket` : url.href;
    // No UTF-8 validation of 1 KB frames: the generator must cost far less than the server.
    const ws = new WebSocket(target, { perMessageDeflate: false, skipUTF8Validation: true });
    const client: Client = {
      send: (text) => {
        ws.send(text);
      },
      close: () => {
        ws.terminate();
      },
    };
    // Khabar's readers subscribe in the connect packet, as the widget does (`PublicAuth`).
    const connectText = subscribe ? `40${JSON.stringify({ subscribe: [subscribe] })}` : '40';
    ws.once('error', reject);
    if (mode === 'ws')
      ws.once('open', () => {
        resolve(client);
      });
    ws.on('message', (data: Buffer) => {
      if (mode === 'ws') {
        record(data);
        return;
      }
      const kind = data[0];
      if (kind === 50 /* "2": ping */) {
        ws.send('3');
      } else if (kind === 48 /* "0": open */) {
        ws.send(connectText);
      } else if (kind === 52 /* "4": message */) {
        const packet = data[1];
        if (packet === 50 /* "2": event */) {
          if (data.compare(SUBSCRIBED, 0, SUBSCRIBED.length, 0, SUBSCRIBED.length) === 0) {
            onAnswer(client, data);
            resolve(client);
            return;
          }
          record(data, 2);
          if (trackCursors) client.cursor = lastCursorIn(data) ?? client.cursor;
        } else if (packet === 51 /* "3": ack */) {
          onAnswer(client, data);
          resolve(client);
        } else if (packet === 48 /* "0": connected */) {
          if (!subscribe) resolve(client);
        }
      }
    });
  });
}

function onAnswer(client: Client, data: Buffer): void {
  if (trackCursors) {
    // The answer's cursor is the channel's position: where this client is now.
    const text = data.toString('utf8', 0, Math.min(data.length, 400));
    const match = /"cursor":"([^"]+)"/.exec(text);
    if (match) client.cursor = match[1];
    if (pendingAnswers > 0) {
      pendingAnswers--;
      if (/"recovered":true/.test(text)) recovered++;
      lastAnswerAt = process.hrtime.bigint();
    }
  }
}

async function connectMany(
  url: URL,
  count: number,
  perSecond: number,
  subscribe?: Record<string, unknown>,
): Promise<{ connected: number; failed: number }> {
  let failed = 0;
  const batch = Math.max(1, Math.round(perSecond / 100));
  const pending: Promise<void>[] = [];
  for (let i = 0; i < count; i += batch) {
    for (let j = i; j < Math.min(count, i + batch); j++) {
      const opened =
        mode === 'net'
          ? connectNet(url)
          : mode === 'sse'
            ? connectSse(url)
            : connectWs(url, subscribe);
      pending.push(
        opened.then(
          (client) => {
            clients.push(client);
          },
          () => {
            failed++;
          },
        ),
      );
    }
    await sleep(10);
  }
  await Promise.all(pending);
  return { connected: clients.length, failed };
}

serveParent(
  async (message) => {
    switch (message.type) {
      case 'connect': {
        mode = message.mode as Mode;
        trackCursors = message.trackCursors === true;
        return connectMany(
          new URL(message.url as string),
          message.count as number,
          (message.perSecond as number | undefined) ?? 3000,
          message.subscribe as Record<string, unknown> | undefined,
        );
      }
      case 'expect': {
        const count = message.count as number;
        window = {
          firstN: message.firstN as number,
          count,
          burst: (message.burst as number | undefined) ?? 1,
          t0Ns: Number(message.t0Ns),
          periodNs: Number(message.periodNs),
          latencies: new Float64Array(count * clients.length),
          fromAccept: new Float64Array(count * clients.length),
          slowest: new Float64Array(count),
          received: 0,
          lastAt: 0,
        };
        return {
          clients: clients.length,
          cpu: process.cpuUsage(),
          core: coreTimes(PINNING.generatorCore),
        };
      }
      case 'collect': {
        // Until every copy arrived, or nothing arrived for quietMs (some were lost).
        const w = window;
        if (!w) throw new Error('collect without expect');
        const expected = w.count * clients.length;
        const quietMs = (message.quietMs as number | undefined) ?? 3000;
        const deadline = Date.now() + ((message.timeoutMs as number | undefined) ?? 60_000);
        let seen = -1;
        let quietSince = Date.now();
        while (w.received < expected && Date.now() < deadline) {
          if (w.received !== seen) {
            seen = w.received;
            quietSince = Date.now();
          } else if (Date.now() - quietSince > quietMs) break;
          await sleep(5);
        }
        window = undefined;
        const kept = Math.min(w.received, w.latencies.length);
        const fromAccept: Summary = summarize(w.fromAccept.subarray(0, kept));
        const latency: Summary = summarize(
          w.latencies.subarray(0, Math.min(w.received, w.latencies.length)),
        );
        return {
          received: w.received,
          expected,
          latency,
          fromAccept,
          slowestPerArticle: [...w.slowest].map((v) => Math.round(v * 10) / 10),
          lastAtNs: w.lastAt,
          cpu: process.cpuUsage(),
          core: coreTimes(PINNING.generatorCore),
        };
      }
      case 'save-cursors': {
        saved = clients.map((c) => c.cursor);
        return { saved: saved.length };
      }
      case 'resubscribe': {
        // Every client, still connected, subscribes again at once with its saved cursor.
        const channel = message.channel as string;
        recovered = 0;
        pendingAnswers = clients.length;
        const startedAt = process.hrtime.bigint();
        clients.forEach((client, i) => {
          const since = saved[i];
          client.send(
            `421${JSON.stringify(['subscribe', { channel, limit: 1, ...(since ? { since } : {}) }])}`,
          );
        });
        const deadline = Date.now() + 30_000;
        while (pendingAnswers > 0 && Date.now() < deadline) await sleep(1);
        return {
          answered: clients.length - pendingAnswers,
          recovered,
          allAnsweredMs: Number(lastAnswerAt - startedAt) / 1e6,
        };
      }
      case 'drop': {
        // Every client drops its connection, keeping its cursor for its return.
        away = clients.splice(0).map((c) => {
          c.close();
          return c.cursor;
        });
        return { dropped: away.length };
      }
      case 'return': {
        // …and all come back at once, each subscribing with its cursor; or, without a channel
        // (a server with no subscribe, B2), each back once its namespace connect `40` is answered.
        const url = new URL(message.url as string);
        const channel = message.channel as string | undefined;
        const cursors = away;
        away = [];
        recovered = 0;
        pendingAnswers = cursors.length;
        const startedAt = process.hrtime.bigint();
        let failed = 0;
        await Promise.all(
          cursors.map((since) =>
            connectWs(
              url,
              channel === undefined
                ? undefined
                : { channel, limit: 1, ...(since ? { since } : {}) },
            ).then(
              (client) => {
                clients.push(client);
              },
              () => {
                failed++;
              },
            ),
          ),
        );
        // Without subscribes, the last connect answered is when the last promise settled.
        const endedAt = channel === undefined ? process.hrtime.bigint() : lastAnswerAt;
        return {
          clients: clients.length,
          failed,
          recovered,
          allAnsweredMs: Number(endedAt - startedAt) / 1e6,
        };
      }
      case 'close': {
        for (const c of clients.splice(0)) c.close();
        return { closed: true };
      }
      default:
        throw new Error(`unknown request ${message.type}`);
    }
  },
  { pid: process.pid },
);
