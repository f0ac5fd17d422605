import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSimilarText, similarityRatio } from '@nbpipe/merge';

/** Python's difflib ratio (autojunk off) for each pair, as the oracle. */
function difflibRatios(pairs: [string, string][]): number[] {
  const script =
    'import difflib, json, sys\n' +
    'pairs = json.load(sys.stdin)\n' +
    'print(json.dumps([difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() for a, b in pairs]))\n';
  const r = spawnSync('python3', ['-c', script], { input: JSON.stringify(pairs), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as number[];
}

/** nbdime's newer rule for cells (README, "Cell matching") over Python's difflib: the oracle for isSimilarText. */
function difflibSimilar(pairs: [string, string][]): boolean[] {
  const script = `
import difflib, json, sys
def similar(x, y, threshold=0.3):
    if (x == '') != (y == ''): return False
    if x == y: return True
    if len(x) <= 10 and len(y) <= 10: return True
    longest = max(len('\\n'.join(l for l in s.split('\\n') if l.strip())) for s in (x, y))
    min_match = min(5, longest - 1)
    if len(x) < min_match or len(y) < min_match: return False
    effective = max(threshold, 10 / max(len(x), len(y)))
    sm = difflib.SequenceMatcher(None, x, y, autojunk=False)
    if sm.real_quick_ratio() <= effective or sm.quick_ratio() <= effective or sm.ratio() <= effective: return False
    return sm.find_longest_match(0, len(x), 0, len(y)).size >= min_match
print(json.dumps([similar(a, b) for a, b in json.load(sys.stdin)]))
`;
  const r = spawnSync('python3', ['-c', script], { input: JSON.stringify(pairs), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as boolean[];
}

describe('similarityRatio', () => {
  it("equals difflib's ratio on random texts", () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'b', 'c', ' ', '\n', 'x', '='), maxLength: 60 });
    const pairs = fc.sample(fc.tuple(text, text), { numRuns: 300, seed: 42 });
    const expected = difflibRatios(pairs);
    pairs.forEach(([a, b], k) => expect(similarityRatio(a, b), JSON.stringify([a, b])).toBeCloseTo(expected[k]!, 12));
  });
});

describe('isSimilarText (nbdime HEAD rule, threshold 0.3)', () => {
  it('agrees with the rule computed with difflib on random texts', () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'd', ' ', '\n', 'x', '=', '(', ')'), maxLength: 80 });
    const pairs = fc.sample(fc.tuple(text, text), { numRuns: 1000, seed: 7 });
    const expected = difflibSimilar(pairs);
    expect(expected.filter(Boolean).length).toBeGreaterThan(100);
    expect(expected.filter((x) => !x).length).toBeGreaterThan(100);
    pairs.forEach(([a, b], k) => expect(isSimilarText(a, b), JSON.stringify([a, b])).toBe(expected[k]));
  });

  it('reproduces the results verified against nbdime', () => {
    expect(isSimilarText('x = 3', 'print(1)')).toBe(true);
    expect(isSimilarText('x = 3', "print('hello world')")).toBe(false);
    expect(isSimilarText('def f(x): return x**2', 'def f(x, y): return x**2 + y')).toBe(true);
    expect(isSimilarText('def f(a):\n    return a + 1', 'import os\nprint(os.getcwd())')).toBe(false);
  });

  it('never pairs an empty text with a non-empty one', () => {
    expect(isSimilarText('', 'x')).toBe(false);
    expect(isSimilarText('', '')).toBe(true);
  });

  it('demands more of short texts: 10 / length of the longer one', () => {
    // output-conflict--1 → --3: 11 characters, so the ratio must exceed 10/11.
    expect(isSimilarText('end = 0.5', 'end = 10*pi')).toBe(false);
    expect(isSimilarText('end = 0.5', 'end = 3*pi')).toBe(true);
  });
});
