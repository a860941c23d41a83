import { qrSvgPath } from '../../web/src/qr-path.js';

/**
 * The web app's QR code for `value` (web/src/qr-path.ts, what components/QrCode.tsx draws) as a
 * grid: `side` modules square, quiet zone included, `dark(col, row)` for each.
 */
export function qrGrid(value: string): { side: number; dark: (col: number, row: number) => boolean } {
  const { modules, path } = qrSvgPath(value);
  const dark = new Set([...path.matchAll(/M(\d+) (\d+)h1v1h-1z/g)].map(([, x, y]) => `${x},${y}`));
  return { side: modules, dark: (col, row) => dark.has(`${col},${row}`) };
}
