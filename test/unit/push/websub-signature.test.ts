/// <reference types="mocha" />
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { checkSignature } from '../../../server/http/websub-signature.js';

const SECRET = 'a-secret-of-the-subscription';
const BODY = Buffer.from('<rss version="2.0"><channel></channel></rss>');
const sign = (algorithm: string, secret = SECRET, body: Uint8Array = BODY): string =>
  `${algorithm}=${createHmac(algorithm, secret).update(body).digest('hex')}`;

describe('checkSignature', () => {
  for (const algorithm of ['sha1', 'sha256', 'sha384', 'sha512']) {
    it(`accepts a ${algorithm} signature of the body under the secret`, () => {
      assert.equal(checkSignature(sign(algorithm), SECRET, BODY), undefined);
      assert.equal(
        checkSignature(sign(algorithm).toUpperCase().replace(/^SHA/, 'sha'), SECRET, BODY),
        undefined,
      );
    });
  }

  it('refuses another secret, another body, a cut signature and a missing one', () => {
    assert.equal(checkSignature(sign('sha256', 'other'), SECRET, BODY), 'wrong_signature');
    assert.equal(checkSignature(sign('sha256'), SECRET, Buffer.from('<rss/>')), 'wrong_signature');
    assert.equal(checkSignature(sign('sha256').slice(0, -2), SECRET, BODY), 'wrong_signature');
    assert.equal(checkSignature(undefined, SECRET, BODY), 'missing_signature');
    assert.equal(checkSignature('', SECRET, BODY), 'missing_signature');
  });

  it('refuses an algorithm outside the list and a header that is not method=hex', () => {
    assert.equal(checkSignature(sign('md5'), SECRET, BODY), 'unsupported_algorithm');
    assert.equal(checkSignature('sha256 abc', SECRET, BODY), 'malformed_signature');
    assert.equal(checkSignature(['sha256=ab', 'sha256=cd'], SECRET, BODY), 'malformed_signature');
  });
});
