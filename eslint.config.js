// Zero-warning gate: `npm run lint` runs with --max-warnings 0.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.bench/', '.e2e-profiles/', 'demo/dist/', 'demo/public/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // No module may reach itself through its own imports: a cycle hides which concept is the lower
    // layer, and makes evaluation order decide whether a binding is initialised. This rule skips
    // type-only imports; test/architecture/import-cycles.test.ts counts those too.
    files: ['src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js'] })],
    },
    rules: { 'import-x/no-cycle': 'error' },
  },
  {
    // The page side must stay small and schema-free: no Dexie, no store/queue/runtime.
    files: ['src/client/**', 'src/client.ts', 'src/rpc/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['dexie', '**/store/**', '**/queue/**', '**/runtime/**', '**/runners/**'] },
      ],
    },
  },
  {
    // core/ is environment-neutral and the bottom layer: it imports nothing of ours above it.
    files: ['src/core/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['dexie', '**/store/**', '**/queue/**', '**/runtime/**', '**/host/**', '**/client/**'] },
      ],
    },
  },
  {
    files: ['src/store/**', 'src/queue/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['**/runtime/**', '**/host/**', '**/client/**'] }],
    },
  },
);
