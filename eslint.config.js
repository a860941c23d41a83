// Lint rules run by ./ops/test (`npx eslint .`): typescript-eslint's strict, type-checked set on
// every TypeScript file (web/'s .tsx included), and the browser-safe parts of core/ and wallet/ kept free of Node globals
// (their imports are checked by .dependency-cruiser.cjs).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeTestHooks = ['test', 'describe', 'it', 'suite', 'before', 'after', 'beforeEach', 'afterEach'];

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'native/target/',
      '.tools/',
      '.yilian/',
      '.scratch/',
      'contracts/artifacts.ts',
      'web/dist/',
      'web/node_modules/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    // each file is checked against its nearest tsconfig.json: web/'s own (DOM, JSX, bundler) for web/
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // numbers and booleans read fine in messages; objects and nullish values do not
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // node:test's test() and describe() return promises the runner itself awaits
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: nodeTestHooks }] },
      ],
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    files: ['core/**/*.ts', 'wallet/**/*.ts'],
    ignores: ['**/node/**', '**/*.test.ts', 'core/crypto/test-helpers.ts'],
    rules: {
      'no-restricted-globals': [
        'error',
        { name: 'Buffer', message: 'core/ and wallet/ run in browsers: use Uint8Array and @noble/hashes/utils' },
        { name: 'process', message: 'core/ and wallet/ run in browsers: take settings as parameters' },
        { name: '__dirname', message: 'core/ and wallet/ run in browsers' },
        { name: 'require', message: 'core/ and wallet/ are ES modules for browsers' },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { console: 'readonly', process: 'readonly', URL: 'readonly', module: 'writable' } },
  },
);
