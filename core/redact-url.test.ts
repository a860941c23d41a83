import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactUrl, redactUrlsIn } from './redact-url.js';

test('credentials in URLs are masked, the rest kept', () => {
  assert.equal(
    redactUrl('http://rpc-user:s3cret@fisco-node0.internal:20200/'),
    'http://***:***@fisco-node0.internal:20200/',
  );
  assert.equal(redactUrl('redis://:hunter2@cache:6379'), 'redis://:***@cache:6379');
  assert.equal(redactUrl('http://apikey-9f2c@ipfs-0.internal:5001'), 'http://***@ipfs-0.internal:5001/');
  assert.equal(redactUrl('http://127.0.0.1:20200'), 'http://127.0.0.1:20200');
  assert.equal(redactUrl('not a url'), 'not a url');
  assert.equal(
    redactUrlsIn('chain node http://u:p4ss@node:20200 unreachable; kubo at http://key@ipfs:5001 failed'),
    'chain node http://***@node:20200 unreachable; kubo at http://***@ipfs:5001 failed',
  );
});
