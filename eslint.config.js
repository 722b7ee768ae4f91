// ESLint flat config (typescript-eslint). No per-file ignore lists: fix the code instead.
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'training/', 'resources/', 'scratch/'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      eqeqeq: ['error', 'always'],
      'no-console': 'off',
    },
  },
  {
    // The dependency rule (docs/architecture.md §2): src/api imports nothing else from src.
    files: ['src/api/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['../*', '!./*'], message: 'src/api must not import from other parts of src (docs/architecture.md §2).' }] },
      ],
    },
  },
  {
    // The engine knows nothing about the CLI, Electron, windows or the renderer.
    files: ['src/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'src/engine must not depend on Electron (docs/architecture.md §2).' }],
          patterns: [
            {
              group: ['**/cli/*', '**/main/*', '**/renderer/*', '**/preload/*'],
              message: 'src/engine must not import cli, main, preload or renderer.',
            },
          ],
        },
      ],
    },
  },
);
