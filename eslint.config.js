// eslint over berth's TypeScript: typescript-eslint's recommended rules everywhere, and the
// type-aware rules that catch lost promises and unchecked values in the product's code (not in
// tests, where node:test's test() is a promise nobody awaits by design). test/lint.test.ts runs it.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'bench/**', 'scripts/**', 'bin/**', '*.js', '*.cjs', '*.mjs'] },
  { files: ['src/**/*.ts', 'test/**/*.ts'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      // A leading underscore names what a signature or a destructuring must hold but the code does not use.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
    },
  },
  // End-to-end tests read Docker's JSON replies as they come.
  { files: ['test/**/*.ts'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.test.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
    },
  },
  // A front end uses a service's operations, never the parts it was built from (ARCHITECTURE.md).
  {
    files: ['src/server/engine/**/*.ts', 'src/server/cri/**/*.ts', 'src/cli/**/*.ts', 'src/daemon/**/*.ts'],
    rules: {
      'no-restricted-syntax': ['error', {
        selector: "MemberExpression[property.name='deps'][object.type!='ThisExpression']",
        message: "a front end reaches into a service's parts (x.deps): use an operation of the service",
      }],
    },
  },
);
