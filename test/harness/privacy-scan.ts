import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Something that must not be found, and what to call it in a report (never the value itself). */
export interface Needle {
  label: string;
  bytes: Uint8Array;
}

/**
 * The forms a secret takes when stored by code that does not think about it: raw bytes, hex in
 * either case, and base64 at each of the three alignments inside a longer buffer.
 */
export function searchForms(needle: Uint8Array): Buffer[] {
  const forms = [
    Buffer.from(needle),
    Buffer.from(Buffer.from(needle).toString('hex')),
    Buffer.from(Buffer.from(needle).toString('hex').toUpperCase()),
  ];
  for (let shift = 0; shift < 3; shift++) {
    const b64 = Buffer.concat([Buffer.alloc(shift), Buffer.from(needle)]).toString('base64');
    // drop the characters that depend on the unknown neighbouring bytes
    const start = shift === 0 ? 0 : shift === 1 ? 2 : 3;
    const inner = b64.slice(start, b64.length - 4);
    if (inner.length >= 8) forms.push(Buffer.from(inner));
  }
  return forms;
}

export async function filesUnder(path: string): Promise<string[]> {
  const info = await stat(path).catch(() => undefined);
  if (!info) return [];
  if (info.isFile()) return [path];
  const entries = await readdir(path, { withFileTypes: true });
  const nested = await Promise.all(entries.map((e) => filesUnder(join(path, e.name))));
  return nested.flat();
}

/** Every (needle, place) pair where a needle shows up in one of its forms. */
export function findNeedles(
  haystacks: ReadonlyArray<{ place: string; bytes: Buffer }>,
  needles: readonly Needle[],
): string[] {
  const found: string[] = [];
  for (const needle of needles) {
    const forms = searchForms(needle.bytes);
    for (const { place, bytes } of haystacks) {
      if (forms.some((form) => bytes.includes(form))) found.push(`${needle.label} in ${place}`);
    }
  }
  return found;
}

export async function readAll(paths: readonly string[]): Promise<Array<{ place: string; bytes: Buffer }>> {
  return Promise.all(paths.map(async (place) => ({ place, bytes: await readFile(place) })));
}
