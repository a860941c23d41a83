import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { compileContracts } from './compile.js';

test('contracts/artifacts.ts is what solc makes of contracts/src (run npm run contracts:compile after editing)', () => {
  assert.equal(readFileSync(new URL('./artifacts.ts', import.meta.url), 'utf8'), compileContracts());
});
