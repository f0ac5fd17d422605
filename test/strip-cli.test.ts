// `nbpipe strip` end to end: in place, --check, --dry-run, -t, stdin, configuration, bad input.
import { copyFileSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CORPORA, nbpipe, tempDir } from './helpers.js';

const CORPUS = join(CORPORA, 'nbstripout');
const corpus = (name: string) => readFileSync(join(CORPUS, name), 'utf8');

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

function workspace(...names: string[]): string {
  const t = tempDir();
  cleanup = t.cleanup;
  for (const name of names) copyFileSync(join(CORPUS, name), join(t.dir, name));
  return t.dir;
}

describe('nbpipe strip', () => {
  it('strips in place and leaves a notebook that needs nothing untouched (content and mtime)', () => {
    const dir = workspace('test_metadata.ipynb', 'test_nochange.ipynb');
    const old = new Date('2020-01-01T00:00:00Z');
    utimesSync(join(dir, 'test_nochange.ipynb'), old, old);
    const r = nbpipe(['strip', 'test_metadata.ipynb', 'test_nochange.ipynb'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(readFileSync(join(dir, 'test_metadata.ipynb'), 'utf8')).toBe(corpus('test_metadata.ipynb.expected'));
    expect(readFileSync(join(dir, 'test_nochange.ipynb'), 'utf8')).toBe(corpus('test_nochange.ipynb'));
    expect(statSync(join(dir, 'test_nochange.ipynb')).mtimeMs).toBe(old.getTime());
  });

  it('--check writes nothing, lists notebooks that carry outputs and exits 1', () => {
    const dir = workspace('test_metadata.ipynb', 'test_nochange.ipynb');
    const r = nbpipe(['strip', '--check', 'test_metadata.ipynb', 'test_nochange.ipynb'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('test_metadata.ipynb: carries outputs\n');
    expect(readFileSync(join(dir, 'test_metadata.ipynb'), 'utf8')).toBe(corpus('test_metadata.ipynb'));
    expect(nbpipe(['strip', '--check', 'test_nochange.ipynb'], { cwd: dir }).code).toBe(0);
  });

  it('--dry-run lists what would change and exits 0', () => {
    const dir = workspace('test_metadata.ipynb', 'test_nochange.ipynb');
    const r = nbpipe(['strip', '--dry-run', 'test_metadata.ipynb', 'test_nochange.ipynb'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('test_metadata.ipynb: carries outputs\n');
    expect(readFileSync(join(dir, 'test_metadata.ipynb'), 'utf8')).toBe(corpus('test_metadata.ipynb'));
  });

  it('- reads stdin and writes stdout, with the flags nbstripout takes', () => {
    const r = nbpipe(['strip', '--extra-keys', 'metadata.kernelspec metadata.language_info', '-'], {
      input: corpus('test_metadata.ipynb'),
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(corpus('test_metadata_extra_keys.ipynb.expected'));
  });

  it('-t prints the stripped notebook and leaves the file alone', () => {
    const dir = workspace('test_widgets.ipynb');
    const r = nbpipe(['strip', '-t', 'test_widgets.ipynb'], { cwd: dir });
    expect(r.stdout).toBe(corpus('test_widgets.ipynb.expected'));
    expect(readFileSync(join(dir, 'test_widgets.ipynb'), 'utf8')).toBe(corpus('test_widgets.ipynb'));
  });

  it('reads the strip: section of the configuration; flags override it', () => {
    const dir = workspace('test_metadata.ipynb');
    writeFileSync(join(dir, '.nbpiperc.json'), JSON.stringify({ strip: { keepCount: true } }));
    expect(nbpipe(['strip', '-t', 'test_metadata.ipynb'], { cwd: dir }).stdout).toBe(
      corpus('test_metadata_keep_count.ipynb.expected'),
    );
    expect(nbpipe(['strip', '-t', '--no-keep-count', 'test_metadata.ipynb'], { cwd: dir }).stdout).toBe(
      corpus('test_metadata.ipynb.expected'),
    );
    writeFileSync(join(dir, '.nbpiperc.json'), JSON.stringify({ strip: { keepCounts: true } }));
    const bad = nbpipe(['strip', '-t', 'test_metadata.ipynb'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/\.nbpiperc\.json: unknown key "strip\.keepCounts"/);
  });

  it('keeps cell ids by default; --no-keep-id or strip.keepId: false renumbers them as nbstripout does, --keep-id overrides', () => {
    const dir = workspace('test_nbformat45.ipynb');
    const strip = (...flags: string[]) =>
      nbpipe(['strip', '-t', ...flags, 'test_nbformat45.ipynb'], { cwd: dir }).stdout;
    expect(strip()).toBe(corpus('test_nbformat45.ipynb.expected'));
    expect(strip('--no-keep-id')).toBe(corpus('test_nbformat45.ipynb.expected_sequential_id'));
    writeFileSync(join(dir, '.nbpiperc.json'), JSON.stringify({ strip: { keepId: false } }));
    expect(strip()).toBe(corpus('test_nbformat45.ipynb.expected_sequential_id'));
    expect(strip('--keep-id')).toBe(corpus('test_nbformat45.ipynb.expected'));
  });

  it('bad input: one line naming the file and where, exit 2, nothing written', () => {
    const dir = workspace('test_metadata.ipynb', 'test_invalid_json.ipynb');
    const r = nbpipe(['strip', 'test_metadata.ipynb', 'test_invalid_json.ipynb'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^nbpipe: test_invalid_json\.ipynb: invalid JSON at line 33, column 1/),
    ]);
    expect(readFileSync(join(dir, 'test_metadata.ipynb'), 'utf8')).toBe(corpus('test_metadata.ipynb'));
    const missing = nbpipe(['strip', 'nope.ipynb'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.ipynb: no such file or directory/);
  });

  it('a cell whose keep_output metadata contradicts its tag is refused with the reason', () => {
    const dir = workspace('test_metadata_exception.ipynb');
    const r = nbpipe(['strip', 'test_metadata_exception.ipynb'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/test_metadata_exception\.ipynb: cell metadata contradicts tags/);
  });
});
