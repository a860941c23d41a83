import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { LedgerError } from '../core/ledger/errors.js';
import { statusName, TransactionStatus } from '../core/ledger/status.js';
import { asActivityFailure } from './failures.js';

const refused = (status: number) =>
  asActivityFailure(
    new LedgerError('REJECTED', `the node refused transaction 0x01: ${statusName(status)}`, { status }),
  );

test('a pool refusal that another attempt can pass retries; one no attempt can pass fails at once', () => {
  for (const status of [
    TransactionStatus.TxPoolIsFull,
    TransactionStatus.NonceCheckFail,
    TransactionStatus.BlockLimitCheckFail,
  ]) {
    const failure = refused(status);
    assert.ok(failure instanceof ApplicationFailure);
    assert.equal(failure.nonRetryable, false, `${statusName(status)} retries`);
    assert.equal(failure.type, 'LedgerError.REJECTED');
  }
  for (const status of [
    TransactionStatus.InvalidSignature,
    TransactionStatus.InvalidChainId,
    TransactionStatus.InvalidGroupId,
    TransactionStatus.Malformed,
  ]) {
    const failure = refused(status);
    assert.ok(failure instanceof ApplicationFailure);
    assert.equal(failure.nonRetryable, true, `${statusName(status)} fails at once`);
  }
  const unavailable = asActivityFailure(new LedgerError('UNAVAILABLE', 'chain node unreachable'));
  assert.ok(unavailable instanceof ApplicationFailure && !unavailable.nonRetryable);
  const reverted = asActivityFailure(new LedgerError('REVERTED', 'transaction 0x01 reverted: no such record'));
  assert.ok(reverted instanceof ApplicationFailure && reverted.nonRetryable);
});
