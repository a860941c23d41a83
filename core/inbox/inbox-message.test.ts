import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inboxMessageSchema } from './inbox-message.js';

const EMPTY_RAW = 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku';

test('inbox messages with unknown fields or a wrong kind are refused', () => {
  const item = {
    kind: 'record',
    cid: EMPTY_RAW,
    recordId: '0x' + 'ab'.repeat(32),
    prekeyIndex: 3,
    author: '0x' + '11'.repeat(20),
  };
  assert.deepEqual(inboxMessageSchema.parse(item), item);
  assert.throws(() => inboxMessageSchema.parse({ ...item, extra: 1 }));
  assert.throws(() => inboxMessageSchema.parse({ ...item, kind: 'other' }));
  assert.throws(() => inboxMessageSchema.parse({ ...item, author: '0xNOTHEX' }));
});
