import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const packages = fileURLToPath(new URL('./packages', import.meta.url));

// Unit tests import workspace packages from source so they run without a build; integration tests do too, but start
// heavy processes (real kernels, a browser: seconds each), so `npm run test:unit` leaves them out; end-to-end tests
// (test/) drive the built CLI. `npm test` runs all three projects.
const INTEGRATION = ['packages/kernel/test/kernel.test.ts', 'packages/pipeline/test/report-browser.test.ts'];

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
      { extends: true, test: { name: 'unit', include: ['packages/*/test/**/*.test.ts'], exclude: INTEGRATION } },
      { extends: true, test: { name: 'integration', include: INTEGRATION } },
      { extends: true, test: { name: 'e2e', include: ['test/**/*.test.ts'] } },
    ],
  },
});
