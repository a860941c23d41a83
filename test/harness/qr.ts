import { qrSvgPath } from '../../web/src/qr-path.js';
import { y4mFrame } from './browser.js';

/**
 * The web app's QR code for `value` (web/src/qr-path.ts, what components/QrCode.tsx draws) as a
 * grid: `side` modules square, quiet zone included, `dark(col, row)` for each.
 */
export function qrGrid(value: string): { side: number; dark: (col: number, row: number) => boolean } {
  const { modules, path } = qrSvgPath(value);
  const dark = new Set([...path.matchAll(/M(\d+) (\d+)h1v1h-1z/g)].map(([, x, y]) => `${x},${y}`));
  return { side: modules, dark: (col, row) => dark.has(`${col},${row}`) };
}

/** A camera frame showing the app's own QR code of `value`, centred, as a phone would see a label. */
export function qrFrame(value: string): Buffer {
  const { side, dark } = qrGrid(value);
  const [width, height, cell] = [640, 480, 6];
  const size = side * cell;
  const [left, top] = [(width - size) / 2, (height - size) / 2].map(Math.floor) as [number, number];
  return y4mFrame(width, height, (x, y) => {
    const [col, row] = [Math.floor((x - left) / cell), Math.floor((y - top) / cell)];
    return x >= left && y >= top && x < left + size && y < top + size && dark(col, row);
  });
}
