import type { Socket as NetSocket } from 'node:net';
import WebSocket from 'ws';

/**
 * A Socket.IO client made of a bare `ws` socket and just enough of the protocol (engine.io
 * v4 open `0`, namespace connect `40`, ping `2` → pong `3`, events `42[…]`, acks `43<id>[…]`).
 * Unlike socket.io-client it can stop reading its TCP socket, to play a stalled reader.
 */
export interface RawClient {
  emitWithAck(event: string, payload: unknown): Promise<unknown>;
  /** Every event received, in order, as `[name, payload]`. */
  events: [string, unknown][];
  /** Stops reading from the TCP socket: the server's writes back up. */
  stopReading(): void;
  closed: Promise<void>;
  close(): void;
}

export async function connectRaw(baseUrl: string): Promise<RawClient> {
  const ws = new WebSocket(
    `${baseUrl.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`,
  );
  const events: [string, unknown][] = [];
  const acks = new Map<number, (payload: unknown) => void>();
  let nextAck = 0;
  const closed = new Promise<void>((resolve) => {
    ws.once('close', () => {
      resolve();
    });
  });
  const connected = new Promise<void>((resolve, reject) => {
    ws.once('error', reject);
    ws.on('message', (raw: Buffer) => {
      const text = raw.toString('utf8');
      if (text.startsWith('0{')) ws.send('40');
      else if (text.startsWith('40')) resolve();
      else if (text === '2') ws.send('3');
      else if (text.startsWith('42')) {
        const [name, payload] = JSON.parse(text.slice(2)) as [string, unknown];
        events.push([name, payload]);
      } else if (text.startsWith('43')) {
        const match = /^43(\d+)(.*)$/s.exec(text);
        if (!match) return;
        const [payload] = JSON.parse(match[2] ?? '[]') as [unknown];
        acks.get(Number(match[1]))?.(payload);
        acks.delete(Number(match[1]));
      }
    });
  });
  await connected;
  return {
    events,
    closed,
    emitWithAck(event, payload) {
      const id = nextAck++;
      return new Promise((resolve) => {
        acks.set(id, resolve);
        ws.send(`42${id}${JSON.stringify([event, payload])}`);
      });
    },
    stopReading() {
      // ws keeps its TCP socket private; pausing it is how a reader "stops reading".
      (ws as unknown as { _socket: NetSocket })._socket.pause();
    },
    close() {
      ws.terminate();
    },
  };
}
