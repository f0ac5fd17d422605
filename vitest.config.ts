import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const packages = fileURLToPath(new URL('./packages', import.meta.url));

// Unit tests import workspace packages from source so they run without a build;
// end-to-end tests (test/) drive the built CLI instead. `vitest run --project unit` runs only the former.
export default defineConfig({
  resolve: {
    // `@nbpipe/NAME` is the package's src/index.ts, `@nbpipe/NAME/MODULE` its src/MODULE.ts (the subpath exports).
    alias: [
      { find: /^@nbpipe\/([\w-]+)$/, replacement: `${packages}/$1/src/index.ts` },
      { find: /^@nbpipe\/([\w-]+)\/([\w-]+)$/, replacement: `${packages}/$1/src/$2.ts` },
    ],
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
