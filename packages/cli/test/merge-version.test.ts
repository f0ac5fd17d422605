import { describe, expect, it } from 'vitest';
import { mergedVersion } from '../src/commands/merge.js';

const v = (nbformat: number, nbformat_minor: number) => ({ nbformat, nbformat_minor });

describe('mergedVersion: the version a merge is written in', () => {
  it("is the inputs' own when they agree", () => {
    expect(mergedVersion(v(3, 0), v(3, 0), v(3, 0))).toEqual(v(3, 0));
    expect(mergedVersion(v(4, 4), v(4, 4), v(4, 4))).toEqual(v(4, 4));
  });
  it('takes a version changed on one side only, whichever side', () => {
    expect(mergedVersion(v(3, 0), v(3, 0), v(4, 5))).toEqual(v(4, 5));
    expect(mergedVersion(v(4, 4), v(4, 5), v(4, 4))).toEqual(v(4, 5));
  });
  it("keeps local's when both sides changed it differently, or there is no base", () => {
    expect(mergedVersion(v(4, 3), v(4, 4), v(4, 5))).toEqual(v(4, 4));
    expect(mergedVersion(undefined, v(3, 0), v(4, 5))).toEqual(v(3, 0));
  });
});
