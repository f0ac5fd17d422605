// ESLint flat config, run by `npm run lint` (scripts/lint.mjs) and by the pre-commit hook.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { LAZY_ONLY } from './scripts/startup-rules.mjs';

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      'release/**',
      '**/node_modules/**',
      '**/coverage/**',
      'bench-out/**',
      '.turbo/**',
      '**/.turbo/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // Parsers and writers of Jupyter's formats match control characters on purpose.
      'no-control-regex': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // Deliberate infinite loops (`for (;;)`) are fine; constant conditions elsewhere are not.
      'no-constant-condition': ['error', { checkLoops: false }],
      // Style, not correctness: reported without failing the lint.
      'prefer-const': 'warn',
      '@typescript-eslint/no-unused-expressions': 'warn',
    },
  },
  {
    files: ['packages/cli/src/**/*.ts'],
    ignores: ['packages/cli/src/drivers/git-drivers.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: LAZY_ONLY.map((name) => ({
            name,
            message:
              'import it inside the handler with `await import(...)`: every nbpipe command pays for top-level imports at start-up',
            allowTypeImports: true,
          })),
        },
      ],
    },
  },
  {
    // The launchers are CommonJS on purpose: they start before any ESM loader cost.
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);
