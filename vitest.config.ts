import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const pkg = (name: string) => fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url));

// Unit tests import workspace packages from source so they run without a build;
// end-to-end tests (test/) drive the built CLI instead.
export default defineConfig({
  resolve: {
    alias: {
      '@nbpipe/nbformat': pkg('nbformat'),
      '@nbpipe/codec': pkg('codec'),
      '@nbpipe/merge': pkg('merge'),
      '@nbpipe/git': pkg('git'),
      '@nbpipe/hooks': pkg('hooks'),
      '@nbpipe/kernel': pkg('kernel'),
      '@nbpipe/pipeline': pkg('pipeline'),
    },
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
