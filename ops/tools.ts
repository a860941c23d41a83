import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Tool = 'temporal' | 'ipfs' | 'redis-server' | 'hapi-fhir' | 'temporal-server';
type VersionedTool = Exclude<Tool, 'redis-server'>;

/** The pinned tools, one file shared with `ops/bootstrap` (which installs exactly these versions). */
const manifest = JSON.parse(readFileSync(new URL('./tools.json', import.meta.url), 'utf8')) as Record<
  VersionedTool,
  { version: string }
>;

export const toolVersions: Readonly<Record<VersionedTool, string>> = {
  temporal: manifest.temporal.version,
  ipfs: manifest.ipfs.version,
  'hapi-fhir': manifest['hapi-fhir'].version,
  'temporal-server': manifest['temporal-server'].version,
};

const fhirServerSources = fileURLToPath(new URL('./fhir-server/', import.meta.url));

/**
 * The hash `ops/fhir-server/build.sh` names its build by: sha256 of `sha256sum`'s lines for
 * pom.xml, build.sh and every file under src/, in byte order of their paths, cut to 12 digits.
 * A changed source is a new folder, so a test never starts a stale build.
 */
export function hapiFhirSourcesHash(dir: string = fhirServerSources): string {
  const files = ['pom.xml', 'build.sh'];
  const walk = (relative: string): void => {
    for (const entry of readdirSync(join(dir, relative), { withFileTypes: true })) {
      const path = `${relative}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) files.push(path);
    }
  };
  walk('src');
  // sort -z under LC_ALL=C compares bytes; for these ASCII paths that is code-unit order
  const lines = files
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map(
      (file) =>
        `${createHash('sha256')
          .update(readFileSync(join(dir, file)))
          .digest('hex')}  ${file}\n`,
    )
    .join('');
  return createHash('sha256').update(lines).digest('hex').slice(0, 12);
}

/**
 * `${XDG_CACHE_HOME:-$HOME/.cache}/yilian/tools`, the same default as `ops/bootstrap`'s: one per
 * user, shared by every clone, each tool in a folder of its version (`temporal-1.5.1/temporal`).
 */
export function defaultToolsDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache'), 'yilian', 'tools');
}

/**
 * Where a tool the bootstrap installs lives: the pinned ones (Temporal CLI, kubo) in
 * `<toolsDir>/<tool>-<version>/<tool>`, never another version from the PATH; the HAPI FHIR test
 * server's launcher in `<toolsDir>/hapi-fhir-<version>-<sources hash>/hapi-fhir`; redis-server
 * from Debian on the PATH. Fails with the command that installs it.
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
  const folder = tool === 'hapi-fhir' ? `${tool}-${version}-${hapiFhirSourcesHash()}` : `${tool}-${version}`;
  const path = join(toolsDir, folder, tool);
  if (!existsSync(path)) {
    const install = {
      ipfs: './ops/bootstrap --with kubo',
      'hapi-fhir': './ops/bootstrap --with fhir (or ops/fhir-server/build.sh)',
      temporal: './ops/bootstrap',
      'temporal-server': './ops/bootstrap --with cluster',
    }[tool];
    throw new Error(`${tool} ${version} is not installed (looked for ${path}); run ${install}`);
  }
  return path;
}

/**
 * Debian's headless Chromium (`./ops/bootstrap --with browser` installs chromium-headless-shell;
 * Playwright's own browser download is not available here). YILIAN_CHROMIUM names another build.
 */
export function chromiumPath(): string {
  const candidates = [
    process.env.YILIAN_CHROMIUM,
    '/usr/bin/chromium-headless-shell',
    '/usr/lib/chromium/chromium-headless-shell',
    '/usr/bin/chromium',
  ].filter((path): path is string => path !== undefined && path !== '');
  const found = candidates.find((path) => existsSync(path));
  if (found === undefined)
    throw new Error(
      `no headless Chromium at ${candidates.join(', ')}: run ./ops/bootstrap --with browser, or set YILIAN_CHROMIUM`,
    );
  return found;
}
