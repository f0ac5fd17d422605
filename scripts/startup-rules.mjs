// The CLI's start-up speed rules, in one place. Why they exist: every nbpipe command is a fresh Node process (git
// starts some once per file), and each module it loads costs its parse and top-level evaluation on every start,
// whether or not the command uses it: the yaml package alone is ~40 ms, and `nbpipe status` of an unchanged
// 1,000-task pipeline has a 300 ms budget, Node's own start included (README "nbpipe run", BENCHMARKS.md
// "CLI start-up" and "nbpipe run and status"). Both lists are checked, so a slow import cannot come back unnoticed.

/**
 * Packages a module of packages/cli/src may load only where it is used (`await import(...)` inside a handler), never
 * at its top level: checked by ESLint (eslint.config.js, `no-restricted-imports`). Type-only imports are free.
 */
export const LAZY_ONLY = [
  '@nbpipe/codec',
  '@nbpipe/merge',
  '@nbpipe/git',
  '@nbpipe/strip',
  '@nbpipe/sync',
  '@nbpipe/precommit',
  '@nbpipe/kernel',
  '@nbpipe/pipeline',
  'yaml',
  'cosmiconfig',
  'zeromq',
  'diff',
  'marked',
  'highlight.js',
  'picomatch',
  'smol-toml',
  'ajv',
  'playwright-core',
];

/**
 * Packages that planning an unchanged pipeline without paired sources (`nbpipe status`, a no-op `nbpipe run`: the
 * spec read from its cache, sources' analyses by blob id) never loads: checked by test/startup-imports.test.ts,
 * which records every module the CLI loads. Of @nbpipe/sync it loads only `@nbpipe/sync/config-file` (is there a
 * jupytext configuration?); its pairing code would bring the codec and the YAML parser. cosmiconfig is loaded only
 * when a file it could read exists (packages/cli/src/config.ts).
 */
export const NOT_LOADED_WHEN_PLANNING = [
  'yaml',
  'cosmiconfig',
  '@nbpipe/codec',
  '@nbpipe/merge',
  '@nbpipe/kernel',
  'zeromq',
  'marked',
  'highlight.js',
  'sanitize-html',
  'anser',
  'picomatch',
];
