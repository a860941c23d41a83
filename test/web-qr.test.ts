import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { repoRoot } from '../ops/config/index.js';
import { qrGrid } from './harness/qr.js';

/** The decoder the web app's scanner uses (web/package.json), run here on the drawn grid. */
type JsQr = (data: Uint8ClampedArray, width: number, height: number) => { data: string } | null;
const jsQR = createRequire(join(repoRoot, 'web', 'package.json'))('jsqr') as JsQr;

/** The grid as RGBA pixels, `cell` pixels a module: what a camera sees of the SVG. */
function decode(value: string, cell = 4): string | undefined {
  const { side, dark } = qrGrid(value);
  const width = side * cell;
  const pixels = new Uint8ClampedArray(width * width * 4);
  for (let y = 0; y < width; y++)
    for (let x = 0; x < width; x++) {
      const level = dark(Math.floor(x / cell), Math.floor(y / cell)) ? 0 : 255;
      pixels.set([level, level, level, 255], (y * width + x) * 4);
    }
  return jsQR(pixels, width, width)?.data;
}

test('the QR code the app draws decodes to its value: a grantee key, a trace id, and UTF-8 text', () => {
  for (const value of ['b'.repeat(64) + 'f'.repeat(32), `0x${'0123456789abcdef'.repeat(4)}`, '医链 grantee key · Zoë'])
    assert.equal(decode(value), value);
  const { side } = qrGrid('x');
  assert.equal(side, 21 + 2 * 4, 'a version-1 symbol in a four-module quiet zone');
});
