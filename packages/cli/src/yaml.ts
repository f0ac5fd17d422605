// The `yaml` functions the CLI uses, re-exported statically: once bundled (drivers/bundle.mjs), a dynamic
// `import('yaml')` of that CommonJS package yields only a default export, while this module, itself
// imported lazily by the commands that need it, gets the named exports.
// eslint-disable-next-line @typescript-eslint/no-restricted-imports -- this module is only ever imported with await import()
export { stringify, parseDocument, isMap, isScalar, isSeq } from 'yaml';
