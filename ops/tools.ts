import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export type Tool = 'temporal' | 'ipfs' | 'redis-server';

/**
 * Where a tool the bootstrap installs lives: the Go-built ones in `<toolsDir>/bin`, redis-server
 * from Debian on the PATH. Fails with the command that installs it.
 */
export function toolPath(toolsDir: string, tool: Tool): string {
  const candidates = [join(toolsDir, 'bin', tool), ...(process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, tool))];
  const found = candidates.find((path) => existsSync(path));
  if (!found) throw new Error(`${tool} is not installed (looked in ${join(toolsDir, 'bin')} and PATH); run ./ops/bootstrap`);
  return found;
}
