import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellQuote } from '../src/drivers.js';

describe('shellQuote', () => {
  it('yields one shell word for any text', () => {
    for (const word of ['plain/path.js', "it's", 'a b', '$HOME', '"q"', '`x`', 'back\\slash', '']) {
      const echoed = execFileSync('sh', ['-c', `printf %s ${shellQuote(word)}`], { encoding: 'utf8' });
      expect(echoed).toBe(word);
    }
  });
});
