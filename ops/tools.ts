import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

export type Tool = 'temporal' | 'ipfs' | 'redis-server';
type VersionedTool = Exclude<Tool, 'redis-server'>;

/** The pinned tools, one file shared with `ops/bootstrap` (which installs exactly these versions). */
const manifest = JSON.parse(readFileSync(new URL('./tools.json', import.meta.url), 'utf8')) as Record<
  VersionedTool,
  { version: string }
>;

export const toolVersions: Readonly<Record<VersionedTool, string>> = {
  temporal: manifest.temporal.version,
  ipfs: manifest.ipfs.version,
};

/**
 * `${XDG_CACHE_HOME:-$HOME/.cache}/yilian/tools`, the same default as `ops/bootstrap`'s: one per
 * user, shared by every clone, each tool in a folder of its version (`temporal-1.5.1/temporal`).
 */
export function defaultToolsDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache'), 'yilian', 'tools');
}

/**
 * Where a tool the bootstrap installs lives: the pinned ones (Temporal CLI, kubo) in
 * `<toolsDir>/<tool>-<version>/<tool>`, never another version from the PATH; redis-server from
 * Debian on the PATH. Fails with the command that installs it.
 */
export function toolPath(toolsDir: string, tool: Tool): string {
  if (tool === 'redis-server') {
    const found = (process.env.PATH ?? '')
      .split(delimiter)
      .map((dir) => join(dir, tool))
      .find((path) => existsSync(path));
    if (!found)
      throw new Error(
        `redis-server is not installed (looked on the PATH); run ./ops/bootstrap (it installs Debian's redis-server)`,
      );
    return found;
  }
  const version = toolVersions[tool];
  const path = join(toolsDir, `${tool}-${version}`, tool);
  if (!existsSync(path)) {
    const install = tool === 'ipfs' ? './ops/bootstrap --with kubo' : './ops/bootstrap';
    throw new Error(`${tool} ${version} is not installed (looked for ${path}); run ${install}`);
  }
  return path;
}
