import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const pkg = (name: string) => fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url));

// Unit tests import workspace packages from source so they run without a build;
// end-to-end tests (test/) drive the built CLI instead. `vitest run --project unit` runs only the former.
export default defineConfig({
  resolve: {
    alias: {
      '@nbpipe/nbformat': pkg('nbformat'),
      '@nbpipe/codec': pkg('codec'),
      '@nbpipe/merge': pkg('merge'),
      '@nbpipe/git': pkg('git'),
      '@nbpipe/strip': pkg('strip'),
      '@nbpipe/sync': pkg('sync'),
      '@nbpipe/precommit': pkg('precommit'),
      '@nbpipe/kernel': pkg('kernel'),
      '@nbpipe/pipeline': pkg('pipeline'),
      '@nbpipe/test-support': pkg('test-support'),
    },
  },
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'unit', include: ['packages/*/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'e2e', include: ['test/**/*.test.ts'] } },
    ],
  },
});
