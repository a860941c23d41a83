import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, redactConfig, repoRoot } from './index.js';
import { defaultToolsDir } from '../tools.js';

const cwd = mkdtempSync(join(tmpdir(), 'yilian-config-'));

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env, cwd);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  assert.fail('expected a ConfigError');
}

test('defaults give the embedded stack on loopback with the data dir ./.yilian', () => {
  const config = loadConfig({}, cwd);
  assert.equal(config.home, join(cwd, '.yilian'));
  assert.equal(config.temporal.address, '127.0.0.1:7233');
  assert.equal(config.temporal.uiPort, 8233);
  assert.equal(config.api.port, 8080);
  assert.equal(config.storage.backend, 'embedded');
  assert.equal(config.redis.mode, 'embedded');
});

test('tools default to a per-user cache outside the clone, as ./ops/bootstrap installs them', () => {
  assert.equal(defaultToolsDir({ XDG_CACHE_HOME: '/var/cache/u1', HOME: '/home/u1' }), '/var/cache/u1/yilian/tools');
  assert.equal(defaultToolsDir({ HOME: '/home/u1' }), '/home/u1/.cache/yilian/tools');
  const config = loadConfig({}, cwd);
  assert.equal(config.toolsDir, defaultToolsDir());
  assert.ok(!config.toolsDir.startsWith(repoRoot), `${config.toolsDir} is outside the clone`);
  assert.equal(loadConfig({ YILIAN_TOOLS_DIR: 'tools' }, cwd).toolsDir, join(cwd, 'tools'));
});

test('environment variables override the file, which overrides the defaults', () => {
  const file = join(cwd, 'settings.json');
  writeFileSync(
    file,
    JSON.stringify({ api: { port: 9000 }, storage: { backend: 'kubo', kuboApiUrl: 'http://ipfs.internal:5001' } }),
  );
  const config = loadConfig({ YILIAN_CONFIG: file, YILIAN_API_PORT: '9100' }, cwd);
  assert.equal(config.api.port, 9100);
  assert.equal(config.storage.backend, 'kubo');
  assert.equal(config.storage.kuboApiUrl, 'http://ipfs.internal:5001');
});

test('every bad value is reported at once, each named by its source', () => {
  const problems = problemsOf({
    YILIAN_API_PORT: 'eighty',
    YILIAN_STORAGE_BACKEND: 's3',
    YILIAN_TEMPORAL_ADDRESS: 'no-port',
    YILIAN_TEMPORAL_TLS: 'maybe',
    YILIAN_REDIS_URL: 'http://localhost:6379',
    YILIAN_TEMPORAL_UI_PORT: '70000',
  });
  assert.equal(problems.length, 6, problems.join('\n'));
  assert.match(problems.join('\n'), /YILIAN_API_PORT="eighty": expected a whole number/);
  assert.match(problems.join('\n'), /YILIAN_STORAGE_BACKEND="s3": .*embedded.*kubo/);
  assert.match(problems.join('\n'), /YILIAN_TEMPORAL_ADDRESS="no-port": expected host:port/);
  assert.match(problems.join('\n'), /YILIAN_TEMPORAL_TLS="maybe": expected true or false/);
  assert.match(problems.join('\n'), /YILIAN_REDIS_URL=.*redis:\/\//);
  assert.match(problems.join('\n'), /YILIAN_TEMPORAL_UI_PORT="70000"/);
});

test('a misspelt variable and an unknown file key are errors, not silently ignored', () => {
  const file = join(cwd, 'typo.json');
  writeFileSync(file, JSON.stringify({ api: { prot: 1 } }));
  const problems = problemsOf({ YILIAN_API_PROT: '1', YILIAN_CONFIG: file });
  assert.match(problems.join('\n'), /YILIAN_API_PROT: unknown setting/);
  assert.match(problems.join('\n'), /prot/);
});

test('a config file that is not JSON, or missing, is named', () => {
  const file = join(cwd, 'broken.json');
  writeFileSync(file, '{ api: ');
  assert.match(problemsOf({ YILIAN_CONFIG: file }).join('\n'), /broken\.json/);
  assert.match(problemsOf({ YILIAN_CONFIG: join(cwd, 'absent.json') }).join('\n'), /file not found/);
});

test('secrets never appear in errors or in the printed configuration', () => {
  const secret = 'tcld-key-5e3c1b';
  const config = loadConfig({ YILIAN_TEMPORAL_API_KEY: secret, YILIAN_REDIS_URL: 'redis://:hunter2@cache:6379' }, cwd);
  assert.equal(config.temporal.apiKey, secret);
  const printed = JSON.stringify(redactConfig(config));
  assert.ok(!printed.includes(secret));
  assert.ok(!printed.includes('hunter2'));
  assert.match(printed, /redis:\/\/:\*\*\*@cache:6379/);
  const problems = problemsOf({ YILIAN_TEMPORAL_API_KEY: secret, YILIAN_API_PORT: 'x' });
  assert.ok(!problems.join('\n').includes(secret));
});

test('the intake settings: an unsafe Redis is refused unless allowed; retention, retry window, concurrency and grouping bounded', () => {
  const defaults = loadConfig({}, cwd);
  assert.equal(defaults.redis.allowUnsafe, false);
  const grouping = { anchoring: 'batched', batchMessages: 64, batchWindowMs: 100, batchShards: 2 };
  assert.deepEqual(defaults.intake, { keepDays: 7, retryHours: 24, concurrency: 16, ...grouping });
  assert.equal(defaults.workers.native, 'in-process');
  const set = loadConfig(
    {
      YILIAN_REDIS_ALLOW_UNSAFE: '1',
      YILIAN_INTAKE_KEEP_DAYS: '30',
      YILIAN_INTAKE_RETRY_HOURS: '72',
      YILIAN_INTAKE_CONCURRENCY: '4',
      YILIAN_INTAKE_ANCHORING: 'per-message',
      YILIAN_INTAKE_BATCH_MESSAGES: '256',
      YILIAN_INTAKE_BATCH_WINDOW_MS: '0',
      YILIAN_INTAKE_BATCH_SHARDS: '8',
      YILIAN_NATIVE_WORKER: 'process',
    },
    cwd,
  );
  assert.equal(set.redis.allowUnsafe, true);
  assert.deepEqual(set.intake, {
    keepDays: 30,
    retryHours: 72,
    concurrency: 4,
    anchoring: 'per-message',
    batchMessages: 256,
    batchWindowMs: 0,
    batchShards: 8,
  });
  assert.equal(set.workers.native, 'process');
  const problems = problemsOf({
    YILIAN_REDIS_ALLOW_UNSAFE: 'perhaps',
    YILIAN_INTAKE_KEEP_DAYS: '0',
    YILIAN_INTAKE_CONCURRENCY: '0',
    YILIAN_INTAKE_ANCHORING: 'sometimes',
    YILIAN_INTAKE_BATCH_MESSAGES: '257',
    YILIAN_NATIVE_WORKER: 'thread',
  }).join('\n');
  assert.match(problems, /YILIAN_REDIS_ALLOW_UNSAFE="perhaps": expected true or false/);
  assert.match(problems, /YILIAN_INTAKE_KEEP_DAYS="0": .*>=1/);
  assert.match(problems, /YILIAN_INTAKE_CONCURRENCY="0": .*>=1/);
  assert.match(
    problems,
    /YILIAN_INTAKE_ANCHORING="sometimes": Invalid option: expected one of "batched"\|"per-message"/,
  );
  assert.match(problems, /YILIAN_INTAKE_BATCH_MESSAGES="257": .*<=256/);
  assert.match(problems, /YILIAN_NATIVE_WORKER="thread": Invalid option: expected one of "in-process"\|"process"/);
});

test('wallet origins: a comma-separated list of origins, none by default; anything else is named', () => {
  assert.deepEqual(loadConfig({}, cwd).api.walletOrigins, []);
  assert.deepEqual(
    loadConfig({ YILIAN_API_WALLET_ORIGINS: ' https://yilian.hospital-b.example, http://127.0.0.1:8081 ,' }, cwd).api
      .walletOrigins,
    ['https://yilian.hospital-b.example', 'http://127.0.0.1:8081'],
  );
  const [problem, ...more] = problemsOf({
    YILIAN_API_WALLET_ORIGINS: 'https://ok.example,https://hospital-b.example/wallet',
  });
  assert.equal(more.length, 0);
  assert.match(problem ?? '', /^YILIAN_API_WALLET_ORIGINS="[^"]+": expected origins like/);
  assert.match(problemsOf({ YILIAN_API_WALLET_ORIGINS: 'ftp://files.example' })[0] ?? '', /expected origins/);
  assert.match(problemsOf({ YILIAN_API_WALLET_ORIGINS: 'https://b.example/' })[0] ?? '', /no path or trailing slash/);
});
