import { createHash } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FeedItem {
  guid: string;
  title: string;
  link: string;
  pubDate: string;
}

/** Where the feed names its WebSub hub: in the feed (`atom:link`) or in a `Link` header. */
export interface FeedServerOptions {
  hub?: { url: string; in: 'feed' | 'header' };
}

/**
 * A publisher's RSS feed on loopback that the test edits, with ETag support; with `hub`, it
 * names that hub, and itself as `rel="self"`.
 */
export async function startFeedServer(
  items: FeedItem[],
  options: FeedServerOptions = {},
): Promise<{ url: string; items: FeedItem[]; requests: () => number; close: () => Promise<void> }> {
  let requests = 0;
  let self = '';
  const hubInFeed = (): string =>
    options.hub?.in === 'feed'
      ? `<atom:link rel="hub" href="${options.hub.url}"/><atom:link rel="self" href="${self}"/>`
      : '';
  const render = (): string =>
    `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>India News Bihar</title><link>https://www.indianews.in/bihar</link>${hubInFeed()}${items
      .map(
        (i) =>
          `<item><guid>${i.guid}</guid><title><![CDATA[${i.title}]]></title><link>${i.link}</link>${i.pubDate ? `<pubDate>${i.pubDate}</pubDate>` : ''}</item>`,
      )
      .join('')}</channel></rss>`;
  const server: Server = createServer((req, res) => {
    requests++;
    const body = render();
    // A hash of the body, so any change (an item, the hub it names) is a new version.
    const etag = `"${createHash('sha1').update(body).digest('base64url')}"`;
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { etag }).end();
      return;
    }
    const headers: Record<string, string> = {
      'content-type': 'application/rss+xml; charset=utf-8',
      etag,
    };
    if (options.hub?.in === 'header') {
      headers.link = `<${options.hub.url}>; rel="hub", <${self}>; rel="self"`;
    }
    res.writeHead(200, headers).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  self = `http://127.0.0.1:${port}/feed`;
  return {
    url: self,
    items,
    requests: () => requests,
    close: () =>
      new Promise((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  };
}

/**
 * A publisher whose first answer is a small RSS feed (the fetch that tells a feed from a page
 * when the source is added) and every later one `then`: how a source comes to fail its polls,
 * now that a URL failing when added is refused.
 */
export async function startFeedThen(
  then: (res: ServerResponse) => void,
): Promise<{ url: string; close: () => Promise<void> }> {
  let requests = 0;
  const server: Server = createServer((_req, res) => {
    requests += 1;
    if (requests > 1) then(res);
    else res.writeHead(200, { 'content-type': 'application/rss+xml' }).end('<rss><channel/></rss>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/feed.xml`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
