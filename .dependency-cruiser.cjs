/**
 * The import rules of the house (docs/design.md § Layout), checked by ./ops/test with
 * `npx depcruise --config .dependency-cruiser.cjs .`. Each rule names the folder it keeps and why.
 */
const ENGINE = '^(activities|workflows|connectors|ops)/';
const TEST_CODE = '(^test/|\\.test\\.ts$)';
/** Browser-safe parts: everything in core/ and wallet/ except node/ folders and tests. */
const BROWSER_SAFE = {
  path: '^(core|wallet)/',
  pathNot: ['/node/', '\\.test\\.ts$', '^core/crypto/test-helpers\\.ts$'],
};

module.exports = {
  forbidden: [
    {
      name: 'core-is-the-shared-library',
      comment: 'core/ is the protocol library every side shares: no Temporal, no HTTP server, no engine or wallet code',
      severity: 'error',
      from: { path: '^core/', pathNot: TEST_CODE },
      to: { path: [`${ENGINE}`, '^wallet/', 'node_modules/@temporalio/', 'node_modules/express/'] },
    },
    {
      name: 'browser-safe-core-and-wallet',
      comment: 'core/ and wallet/ outside node/ folders run in browsers: no node: modules, no native addon',
      severity: 'error',
      from: BROWSER_SAFE,
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'browser-safe-no-native-addon',
      comment: 'core/ and wallet/ outside node/ folders run in browsers: take native functions as parameters',
      severity: 'error',
      from: BROWSER_SAFE,
      to: { path: '^native/' },
    },
    {
      name: 'wallet-is-a-person-s-side',
      comment: "wallet/ is a person's side of the trust boundary: it never imports the engine or Temporal",
      severity: 'error',
      from: { path: '^wallet/', pathNot: TEST_CODE },
      to: { path: [ENGINE, 'node_modules/@temporalio/', 'node_modules/express/'] },
    },
    {
      name: 'web-is-the-browser',
      comment:
        "web/ runs in people's browsers: it may bundle core/ and wallet/ browser-safe code, never the engine or the native addon",
      severity: 'error',
      from: { path: '^web/' },
      to: {
        path: ['^(activities|connectors|ops|workflows|native)/', 'node_modules/@temporalio/', 'node_modules/express/'],
      },
    },
    {
      name: 'web-only-browser-safe-core-and-wallet',
      comment: 'web/ takes from core/ and wallet/ only what runs in a browser (not their node/ folders)',
      severity: 'error',
      from: { path: '^web/' },
      // pathNot would forbid the browser-safe files themselves: name the unsafe ones instead
      to: {
        path: [
          '^(core|wallet)/node/',
          '^(core|wallet)/.*/node/',
          '^(core|wallet)/.*\\.test\\.ts$',
          '^core/crypto/test-helpers\\.ts$',
        ],
      },
    },
    {
      name: 'workflows-only-types-from-activities',
      comment: 'workflows/ run in the deterministic sandbox: activities and core reach them as types only',
      severity: 'error',
      from: { path: '^workflows/' },
      to: { path: '^(activities|core)/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'workflows-no-io',
      comment: 'workflows/ are deterministic: no node: modules and no I/O libraries (the starter is the client side)',
      severity: 'error',
      from: { path: '^workflows/', pathNot: '^workflows/starter\\.ts$' },
      to: {
        path: [
          '^(connectors|ops|wallet|native|contracts|precompiled)/',
          'node_modules/(?!@temporalio/workflow/|@noble/hashes/)',
        ],
      },
    },
    {
      name: 'workflows-no-node-builtins',
      comment: 'workflows/ are deterministic: no node: modules (the starter is the client side)',
      severity: 'error',
      from: { path: '^workflows/', pathNot: '^workflows/starter\\.ts$' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'activities-below-the-engine',
      comment:
        'activities/ are called by workflows and started by ops/: they never import them, nor connectors or the wallet',
      severity: 'error',
      from: { path: '^activities/', pathNot: TEST_CODE },
      to: { path: '^(workflows|connectors|ops|wallet)/' },
    },
    {
      name: 'connectors-below-ops',
      comment: 'connectors/ are ways in; ops/ runs them, not the other way round',
      severity: 'error',
      from: { path: '^connectors/', pathNot: TEST_CODE },
      to: { path: '^(ops|wallet)/' },
    },
    {
      name: 'nothing-imports-tests',
      comment: 'only tests import test/',
      severity: 'error',
      from: { pathNot: TEST_CODE },
      to: { path: '^test/' },
    },
    {
      name: 'no-circular',
      comment: 'a cycle makes the layers meaningless and module start-up order fragile',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'an import that resolves to nothing',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['^native/target', '^\\.tools', '^\\.yilian', '^\\.scratch', '^test/histories/', '^web/dist/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.d.ts'],
    },
    moduleSystems: ['es6', 'cjs'],
  },
};
