import qrcode from 'qrcode-generator';

/** The quiet zone the QR standard asks around the symbol, in modules. */
export const QUIET = 4;

/**
 * `value` as a QR code (medium error correction, byte mode, UTF-8): one SVG path of unit squares,
 * one per dark module, offset by the quiet zone; `modules` is the side of the whole square.
 */
export function qrSvgPath(value: string): { modules: number; path: string } {
  const qr = qrcode(0, 'M');
  // the library writes a string's char codes as bytes: give it the UTF-8 bytes, one per char
  qr.addData(String.fromCharCode(...new TextEncoder().encode(value)), 'Byte');
  qr.make();
  const count = qr.getModuleCount();
  let path = '';
  for (let row = 0; row < count; row++)
    for (let col = 0; col < count; col++) if (qr.isDark(row, col)) path += `M${col + QUIET} ${row + QUIET}h1v1h-1z`;
  return { modules: count + 2 * QUIET, path };
}
