import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OutputCache } from '../src/index.js';

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});
function tempCache(bounds?: { maxBytes: number; maxEntries: number }): OutputCache {
  const dir = mkdtempSync(join(tmpdir(), 'nbpipe-output-cache-'));
  dirs.push(dir);
  return new OutputCache(join(dir, 'outputs'), bounds);
}
const bytes = (text: string) => Buffer.from(text, 'utf8');
/** Incompressible content of `size` bytes, so that gzip does not shrink it below the bound under test. */
const noise = (size: number) => randomBytes(size);
/** Make every entry a minute older: what is written next is newer whatever the file system's timestamp resolution. */
function ageEntries(cache: OutputCache): void {
  for (const name of readdirSync(cache.dir)) {
    const { atimeMs, mtimeMs } = statSync(join(cache.dir, name));
    utimesSync(join(cache.dir, name), (atimeMs - 60_000) / 1000, (mtimeMs - 60_000) / 1000);
  }
}
const recentOriginals = (cache: OutputCache) => [...cache.recent('nb.ipynb')].map(String);
const totalSize = (dir: string) => readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);

describe('OutputCache', () => {
  it('keys entries by path and content: two notebooks with the same stripped content keep their own originals', () => {
    const cache = tempCache();
    cache.remember('2026-01.ipynb', bytes('stripped'), bytes('january'));
    cache.remember('2026-02.ipynb', bytes('stripped'), bytes('february'));
    expect(cache.recall('2026-01.ipynb', bytes('stripped'))?.toString()).toBe('january');
    expect(cache.recall('2026-02.ipynb', bytes('stripped'))?.toString()).toBe('february');
    expect(cache.recall('2026-03.ipynb', bytes('stripped'))).toBeUndefined();
  });

  it('tells whether content was kept or restored for a stripped version at any path (textconv knows no path)', () => {
    const cache = tempCache();
    cache.remember('2026-01.ipynb', bytes('stripped'), bytes('january'));
    cache.rememberRestored('2026-02.ipynb', bytes('merged'), bytes('merged with outputs'));
    expect(cache.keeps(bytes('stripped'), bytes('january'))).toBe(true);
    expect(cache.keeps(bytes('merged'), bytes('merged with outputs'))).toBe(true);
    expect(cache.keeps(bytes('stripped'), bytes('february'))).toBe(false);
    expect(cache.keeps(bytes('other'), bytes('january'))).toBe(false);
  });

  it("lists one path's originals, most recently written first: using or cleaning one again does not move it", () => {
    const cache = tempCache();
    cache.remember('nb.ipynb', bytes('s1'), bytes('first'));
    ageEntries(cache);
    cache.remember('other.ipynb', bytes('s1'), bytes('other'));
    cache.remember('nb.ipynb', bytes('s2'), bytes('second'));
    ageEntries(cache);
    expect(recentOriginals(cache)).toEqual(['second', 'first']);
    cache.recall('nb.ipynb', bytes('s1'));
    cache.remember('nb.ipynb', bytes('s1'), bytes('first'));
    expect(recentOriginals(cache)).toEqual(['second', 'first']);
    // New work with the same code (executed again) is the most recent.
    ageEntries(cache);
    cache.remember('nb.ipynb', bytes('s1'), bytes('first, run again'));
    expect(recentOriginals(cache)).toEqual(['first, run again', 'second']);
  });

  it("gives back what smudge restored, without offering it as the user's work, even once cleaned again", () => {
    const cache = tempCache();
    cache.remember('nb.ipynb', bytes('s1'), bytes('mine'));
    ageEntries(cache);
    cache.rememberRestored('nb.ipynb', bytes('merged'), bytes('merged, restored'));
    cache.remember('nb.ipynb', bytes('merged'), bytes('merged, restored'));
    expect(cache.recall('nb.ipynb', bytes('merged'))?.toString()).toBe('merged, restored');
    expect(recentOriginals(cache)).toEqual(['mine']);
    // Run again by the user: their work, and what checking the blob out gives back.
    cache.remember('nb.ipynb', bytes('merged'), bytes('merged, run'));
    expect(cache.recall('nb.ipynb', bytes('merged'))?.toString()).toBe('merged, run');
    expect(recentOriginals(cache)).toEqual(['merged, run', 'mine']);
  });

  it('ignores damaged entries', () => {
    const cache = tempCache();
    cache.remember('nb.ipynb', bytes('s1'), bytes('good'));
    const [good] = readdirSync(cache.dir);
    cache.remember('nb.ipynb', bytes('s2'), bytes('to be damaged'));
    const damaged = readdirSync(cache.dir).find((name) => name !== good)!;
    writeFileSync(join(cache.dir, damaged), 'not gzip');
    expect(cache.recall('nb.ipynb', bytes('s2'))).toBeUndefined();
    expect(recentOriginals(cache)).toEqual(['good']);
  });

  it('stays within its byte bound, evicting the least recently used', () => {
    const cache = tempCache({ maxBytes: 10_000, maxEntries: 100 });
    const originals = Array.from({ length: 12 }, () => noise(2_000));
    for (const [i, original] of originals.entries()) {
      if (i > 0) ageEntries(cache);
      cache.remember(`nb${i}.ipynb`, bytes('stripped'), original);
      if (i === 3) cache.recall('nb0.ipynb', bytes('stripped'));
      if (i === 4) {
        // The fifth write went beyond the bound: the least recently used went, not the oldest written.
        expect(cache.recall('nb0.ipynb', bytes('stripped'))).toEqual(originals[0]);
        expect(cache.recall('nb1.ipynb', bytes('stripped'))).toBeUndefined();
      }
      expect(totalSize(cache.dir)).toBeLessThanOrEqual(10_000);
    }
    expect(cache.recall('nb11.ipynb', bytes('stripped'))).toEqual(originals[11]);
    expect(cache.recall('nb1.ipynb', bytes('stripped'))).toBeUndefined();
    // An entry larger than the whole bound is not kept at all.
    cache.remember('huge.ipynb', bytes('stripped'), noise(20_000));
    expect(cache.recall('huge.ipynb', bytes('stripped'))).toBeUndefined();
  });

  it('stays within its entry count bound', () => {
    const cache = tempCache({ maxBytes: 1e9, maxEntries: 8 });
    for (let i = 0; i < 30; i++) {
      cache.remember('nb.ipynb', bytes(`stripped ${i}`), bytes(`original ${i}`));
      expect(readdirSync(cache.dir).length).toBeLessThanOrEqual(8);
    }
    expect(cache.recall('nb.ipynb', bytes('stripped 29'))?.toString()).toBe('original 29');
  });

  it('never throws when it cannot write', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nbpipe-output-cache-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'file'), '');
    const cache = new OutputCache(join(dir, 'file', 'outputs'));
    expect(() => cache.remember('nb.ipynb', bytes('s'), bytes('o'))).not.toThrow();
    expect(cache.recall('nb.ipynb', bytes('s'))).toBeUndefined();
    expect([...cache.recent('nb.ipynb')]).toEqual([]);
  });
});
