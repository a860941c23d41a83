import { redactUrl } from '../../core/redact-url.js';
import { secretPaths, type Config } from './schema.js';

/** The configuration as it may be shown to an operator: secrets masked, URL credentials masked. */
export function redactConfig(config: Config): Record<string, unknown> {
  return redactTree(config, '');
}

function redactTree(tree: Record<string, unknown>, prefix: string): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(tree).map(([key, value]) => {
      const path = `${prefix}${key}`;
      if (secretPaths.has(path)) return [key, '***'];
      if (typeof value === 'object' && value !== null)
        return [key, redactTree(value as Record<string, unknown>, `${path}.`)];
      if (typeof value === 'string') return [key, redactUrl(value)];
      return [key, value];
    }),
  );
}
