// The bundler's patches of its dependencies (drivers/bundle.mjs) fail the build when they no longer apply, rather
// than letting the start-up cost they remove come back unnoticed.
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { dedupeTo, makeStringWidthLazy } from '../drivers/bundle.mjs';

describe('the bundle', () => {
  it('fails naming the file and the line when string-width no longer reads as patched', () => {
    expect(() => makeStringWidthLazy('export default function stringWidth() {}\n', '/x/string-width/index.js')).toThrow(
      '/x/string-width/index.js: no longer contains "const segmenter = new Intl.Segmenter();"',
    );
  });

  it('fails when the package a dependency is deduplicated to no longer depends on it', async () => {
    const bundle = (name: string) =>
      build({
        stdin: { contents: `import '${name}';`, resolveDir: process.cwd() },
        bundle: true,
        write: false,
        platform: 'node',
        format: 'esm',
        logLevel: 'silent',
        plugins: [dedupeTo(name, 'yargs')],
      });
    await expect(bundle('string-width')).resolves.toBeDefined();
    await expect(bundle('nbpipe-no-such-package')).rejects.toThrow(
      'yargs no longer depends on nbpipe-no-such-package: update dedupeTo in drivers/bundle.mjs',
    );
  });
});
