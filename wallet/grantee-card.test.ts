import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Hex } from 'viem';
import { granteeCard, GranteeCardError, parseGranteeCard } from './grantee-card.js';

const account: Hex = `0x${'Ab'.repeat(20)}`;
const granteeKey: Hex = `0x${'9f'.repeat(96)}`;

test('a card carries the account and key exactly, in one line, and reads back lower-cased', () => {
  const card = granteeCard({ account, granteeKey });
  assert.equal(card, `yilian-grantee/v1:${account}:${granteeKey}`);
  assert.equal(card.length, 18 + 42 + 1 + 194);
  assert.deepEqual(parseGranteeCard(`  ${card}\n`), { account: account.toLowerCase(), granteeKey });
});

test('a wrong card names the part that is wrong', () => {
  const refused = (text: string, message: RegExp) =>
    assert.throws(
      () => parseGranteeCard(text),
      (error: unknown) => {
        assert.ok(error instanceof GranteeCardError);
        assert.match(error.message, message);
        return true;
      },
    );
  refused(granteeKey, /starts with "yilian-grantee\/v1:"/);
  refused(`yilian-grantee/v1:0x12:${granteeKey}`, /account is not 0x and 40 hex digits/);
  refused(`yilian-grantee/v1:${account}:${granteeKey.slice(0, -2)}`, /key is not 0x and 192 hex digits \(it has 192/);
  refused(`yilian-grantee/v1:${account}:${granteeKey}:extra`, /key is not 0x and 192 hex digits/);
  refused(`yilian-grantee/v1:${'x'.repeat(400)}`, /at most 300 characters/);
});
