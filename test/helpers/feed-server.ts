import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FeedItem {
  guid: string;
  title: string;
  link: string;
  pubDate: string;
}

/** A publisher's RSS feed on loopback that the test edits, with ETag support. */
export async function startFeedServer(
  items: FeedItem[],
): Promise<{ url: string; items: FeedItem[]; requests: () => number; close: () => Promise<void> }> {
  let requests = 0;
  const render = (): string =>
    `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>India News Bihar</title><link>https://www.indianews.in/bihar</link>${items
      .map(
        (i) =>
          `<item><guid>${i.guid}</guid><title><![CDATA[${i.title}]]></title><link>${i.link}</link>${i.pubDate ? `<pubDate>${i.pubDate}</pubDate>` : ''}</item>`,
      )
      .join('')}</channel></rss>`;
  const server: Server = createServer((req, res) => {
    requests++;
    const body = render();
    const etag = `"${Buffer.from(body).toString('base64').length}-${body.length}-${items.map((i) => i.title).join('|').length}"`;
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { etag }).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/rss+xml; charset=utf-8', etag }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/feed`,
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
