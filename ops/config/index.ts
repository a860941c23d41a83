export { loadConfig, ConfigError, envVariables, repoRoot } from './load.js';
export { redactConfig } from './redact.js';
export { apiUrlOf, type Config } from './schema.js';
