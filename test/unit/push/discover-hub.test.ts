/// <reference types="mocha" />
import assert from 'node:assert/strict';
import { discoverHub, linkHeaderRels } from '../../../workers/push/discover-hub.js';
import { parseFeedText } from '../../../workers/poll/parse/parse-feed.js';

const FEED_URL = 'https://news.example.com/feed.xml';

describe('discoverHub', () => {
  const XML_FEEDS = {
    'atom:link in an RSS feed': `<?xml version="1.0"?><rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>T</title>
        <atom:link rel="hub" href="https://news.example.com/hub"/>
        <atom:link rel="self" href="https://news.example.com/atom"/>
        <item><title>a</title><link>https://news.example.com/a</link></item></channel></rss>`,
    'the links of an Atom feed, relative ones resolved': `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><id>x</id><updated>2024-01-01T00:00:00Z</updated>
        <link rel="hub" href="/hub"/><link rel="self" href="/atom"/></feed>`,
  };
  for (const [where, document] of Object.entries(XML_FEEDS)) {
    it(`reads hub and self from ${where}`, () => {
      assert.deepEqual(discoverHub(parseFeedText(document, FEED_URL), undefined, FEED_URL), {
        hub: 'https://news.example.com/hub',
        topic: 'https://news.example.com/atom',
      });
    });
  }

  it('reads the WebSub hub of a JSON Feed, with feed_url as the topic', () => {
    const feed = parseFeedText(
      JSON.stringify({
        version: 'https://jsonfeed.org/version/1.1',
        title: 'T',
        feed_url: 'https://news.example.com/feed.json',
        hubs: [
          { type: 'rssCloud', url: 'https://cloud.example.com/' },
          { type: 'WebSub', url: 'https://hub.example.com/' },
        ],
        items: [],
      }),
      FEED_URL,
    );
    assert.deepEqual(discoverHub(feed, undefined, FEED_URL), {
      hub: 'https://hub.example.com/',
      topic: 'https://news.example.com/feed.json',
    });
  });

  it('prefers the Link header, and falls back to the feed URL as topic', () => {
    const feed = { hubs: ['https://in-feed.example.com/'] };
    assert.deepEqual(discoverHub(feed, '<https://header.example.com/hub>; rel="hub"', FEED_URL), {
      hub: 'https://header.example.com/hub',
      topic: FEED_URL,
    });
    assert.deepEqual(
      discoverHub({}, '<https://hub.example.com/>; rel=hub, </self>; rel="self"', FEED_URL),
      { hub: 'https://hub.example.com/', topic: 'https://news.example.com/self' },
    );
  });

  it('finds no hub in a feed without one, and ignores an unreadable Link header', () => {
    assert.equal(discoverHub({}, undefined, FEED_URL), undefined);
    assert.equal(discoverHub({}, 'garbage <<<', FEED_URL), undefined);
    assert.deepEqual(linkHeaderRels('<ftp://hub.example.com/>; rel="hub"', FEED_URL), {
      hubs: [],
    });
  });
});
