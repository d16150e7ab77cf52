import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  canonicalUrl,
  POST_ID_PATTERN,
  postIdFor,
} from '../../../shared/domain/article/post-id.js';
import { URL_1 } from '../../helpers/articles.js';

describe('canonicalUrl', () => {
  it('lower-cases scheme and host and drops the fragment and utm_* parameters', () => {
    assert.equal(
      canonicalUrl('HTTPS://Example.COM/a?utm_source=x&b=1#frag'),
      'https://example.com/a?b=1',
    );
  });

  it('matches utm_ names case-insensitively and after percent-decoding', () => {
    assert.equal(
      canonicalUrl('https://example.com/a?UTM_Medium=x&Utm_Campaign=y&%75tm_term=z&c=3'),
      'https://example.com/a?c=3',
    );
  });

  it('keeps other parameters in order and as written', () => {
    const url = 'https://example.com/a?z=1&a=%20x&m=a+b&utm=keep&utmx=keep';
    assert.equal(canonicalUrl(url), url);
  });

  it('removes the ? when nothing remains', () => {
    assert.equal(
      canonicalUrl('https://example.com/a?utm_source=x&utm_medium=y'),
      'https://example.com/a',
    );
    assert.equal(canonicalUrl('https://example.com/a?'), 'https://example.com/a');
    assert.equal(canonicalUrl('https://example.com/a?&&'), 'https://example.com/a');
  });

  it('keeps the path case and drops the default port', () => {
    assert.equal(canonicalUrl('http://EXAMPLE.com:80/News/A'), 'http://example.com/News/A');
  });

  it('is idempotent', () => {
    const once = canonicalUrl(' https://Example.com/समाचार?q=हिंदी&utm_id=1#x ');
    assert.equal(canonicalUrl(once), once);
  });

  it('throws a TypeError for a relative URL', () => {
    assert.throws(() => canonicalUrl('/news/1'), TypeError);
  });
});

describe('postIdFor', () => {
  const expected = (text: string): string =>
    `p${createHash('sha256').update(text).digest('base64url').slice(0, 22)}`;

  it('hashes "id\\0" + the producer id when there is one', () => {
    assert.equal(postIdFor('guid-17', URL_1), expected('id\u0000guid-17'));
  });

  it('hashes "url\\0" + the canonical URL otherwise', () => {
    assert.equal(postIdFor(undefined, URL_1), expected(`url\u0000${URL_1}`));
  });

  it('gives ids that match POST_ID_PATTERN', () => {
    assert.match(postIdFor(undefined, URL_1), POST_ID_PATTERN);
    assert.match(postIdFor('x', URL_1), POST_ID_PATTERN);
    assert.doesNotMatch('p123', POST_ID_PATTERN);
  });

  it('keeps producer ids and URLs apart', () => {
    assert.notEqual(postIdFor(URL_1, URL_1), postIdFor(undefined, URL_1));
  });
});
