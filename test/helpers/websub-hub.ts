import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A subscription request as the hub received it. */
export interface HubRequest {
  mode: string;
  topic: string;
  callback: string;
  secret?: string;
  leaseSeconds?: number;
}

export interface HubOptions {
  /** The lease granted, whatever was asked (short ones make renewals testable). */
  leaseSeconds?: number;
  /** Deny every subscription with this reason instead of verifying it. */
  deny?: string;
}

export interface TestHub {
  url: string;
  /** Every subscribe and unsubscribe request, in order. */
  requests: HubRequest[];
  /** Verified subscriptions by callback. */
  active: Map<string, { topic: string; secret?: string }>;
  /** Each verification of intent sent, with the callback's answer. */
  verifications: { mode: string; callback: string; status: number; echoed: boolean }[];
  /**
   * Distributes `body` to every verified subscriber of `topic`, signed with each one's secret
   * (`signature: null` sends none, a string sends that header as is). Resolves with the statuses.
   */
  publish(
    topic: string,
    body: string,
    options?: { algorithm?: string; signature?: string | null; contentType?: string },
  ): Promise<number[]>;
  close(): Promise<void>;
}

export function signBody(algorithm: string, secret: string, body: string): string {
  return `${algorithm}=${createHmac(algorithm, secret).update(body).digest('hex')}`;
}

/**
 * A WebSub hub on loopback that behaves as the W3C recommendation says: a subscription request
 * is answered 202, then its intent is verified by a GET on the callback with a challenge (or the
 * subscriber is told it was denied); content goes to verified subscribers, signed.
 */
export async function startTestHub(options: HubOptions = {}): Promise<TestHub> {
  const requests: HubRequest[] = [];
  const active = new Map<string, { topic: string; secret?: string }>();
  const verifications: TestHub['verifications'] = [];

  async function verify(request: HubRequest): Promise<void> {
    const url = new URL(request.callback);
    url.searchParams.set('hub.topic', request.topic);
    if (options.deny !== undefined && request.mode === 'subscribe') {
      url.searchParams.set('hub.mode', 'denied');
      url.searchParams.set('hub.reason', options.deny);
      const response = await fetch(url);
      verifications.push({
        mode: 'denied',
        callback: request.callback,
        status: response.status,
        echoed: false,
      });
      return;
    }
    const challenge = randomBytes(12).toString('hex');
    url.searchParams.set('hub.mode', request.mode);
    url.searchParams.set('hub.challenge', challenge);
    if (request.mode === 'subscribe') {
      url.searchParams.set(
        'hub.lease_seconds',
        String(options.leaseSeconds ?? request.leaseSeconds ?? 86_400),
      );
    }
    const response = await fetch(url);
    const echoed = response.status === 200 && (await response.text()) === challenge;
    verifications.push({
      mode: request.mode,
      callback: request.callback,
      status: response.status,
      echoed,
    });
    if (!echoed) return;
    if (request.mode === 'subscribe') {
      active.set(request.callback, {
        topic: request.topic,
        ...(request.secret ? { secret: request.secret } : {}),
      });
    } else {
      active.delete(request.callback);
    }
  }

  const server: Server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => {
      const form = new URLSearchParams(text);
      const mode = form.get('hub.mode') ?? '';
      const topic = form.get('hub.topic') ?? '';
      const callback = form.get('hub.callback') ?? '';
      if (
        req.method !== 'POST' ||
        !['subscribe', 'unsubscribe'].includes(mode) ||
        !topic ||
        !callback
      ) {
        res.writeHead(400).end('hub.mode, hub.topic and hub.callback are required');
        return;
      }
      const lease = form.get('hub.lease_seconds');
      const secret = form.get('hub.secret');
      const request: HubRequest = {
        mode,
        topic,
        callback,
        ...(secret === null ? {} : { secret }),
        ...(lease === null ? {} : { leaseSeconds: Number(lease) }),
      };
      requests.push(request);
      res.writeHead(202).end();
      // Verification of intent comes after the answer, as a real hub's does.
      setImmediate(() => {
        verify(request).catch(() => undefined);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/hub`,
    requests,
    active,
    verifications,
    async publish(topic, body, publishOptions = {}) {
      const statuses: number[] = [];
      for (const [callback, subscriber] of active) {
        if (subscriber.topic !== topic) continue;
        const headers: Record<string, string> = {
          'content-type': publishOptions.contentType ?? 'application/rss+xml',
          link: `<http://127.0.0.1:${port}/hub>; rel="hub", <${topic}>; rel="self"`,
        };
        const signature =
          publishOptions.signature === undefined
            ? signBody(publishOptions.algorithm ?? 'sha256', subscriber.secret ?? '', body)
            : publishOptions.signature;
        if (signature !== null) headers['x-hub-signature'] = signature;
        statuses.push((await fetch(callback, { method: 'POST', headers, body })).status);
      }
      return statuses;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
