import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { messageOf } from '../error-message.js';

/**
 * A JSON file a setting names (a routing file, a FHIR servers file), checked by its schema: an
 * unreadable file or bad JSON is named with the setting, and every schema problem by its path.
 */
export async function readJsonSetting<S extends z.ZodType>(
  setting: string,
  file: string,
  schema: S,
): Promise<z.output<S>> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new Error(`${setting}=${file}: ${messageOf(error)}`, { cause: error });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    throw new Error(
      `${setting}=${file}:\n  - ${parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('\n  - ')}`,
    );
  return parsed.data;
}
