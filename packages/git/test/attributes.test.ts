import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ATTRIBUTES_BLOCK_BEGIN,
  ATTRIBUTES_BLOCK_END,
  addAttributeLines,
  managedAttributeLines,
  removeAttributeLines,
} from '../src/attributes.js';

const OURS = '*.ipynb diff=nbpipe merge=nbpipe';
const FILTER = '*.ipynb filter=nbpipe';

describe('attributes block', () => {
  it('creates the block in an empty file', () => {
    expect(addAttributeLines('', [OURS])).toBe(`${ATTRIBUTES_BLOCK_BEGIN}\n${OURS}\n${ATTRIBUTES_BLOCK_END}\n`);
  });

  it('appends after the user lines and removes back to the exact bytes', () => {
    const user = '*.png binary\n# my comment\n\n*.csv -diff\n';
    const installed = addAttributeLines(user, [OURS]);
    expect(installed.startsWith(user)).toBe(true);
    expect(managedAttributeLines(installed)).toEqual([OURS]);
    expect(removeAttributeLines(installed, [OURS])).toBe(user);
  });

  it('is idempotent', () => {
    const once = addAttributeLines('*.png binary\n', [OURS]);
    expect(addAttributeLines(once, [OURS])).toBe(once);
    expect(removeAttributeLines('*.png binary\n', [OURS])).toBe('*.png binary\n');
  });

  it('lets several steps share the block and leave independently', () => {
    const both = addAttributeLines(addAttributeLines('', [OURS]), [FILTER]);
    expect(managedAttributeLines(both)).toEqual([OURS, FILTER]);
    const onlyFilter = removeAttributeLines(both, [OURS]);
    expect(managedAttributeLines(onlyFilter)).toEqual([FILTER]);
    expect(removeAttributeLines(onlyFilter, [FILTER])).toBe('');
  });

  it("keeps a user's line written inside the block, and an identical line outside it", () => {
    const text = `${OURS}\n${ATTRIBUTES_BLOCK_BEGIN}\n${OURS}\ndocs/** diff=\n${ATTRIBUTES_BLOCK_END}\n`;
    expect(removeAttributeLines(text, [OURS])).toBe(
      `${OURS}\n${ATTRIBUTES_BLOCK_BEGIN}\ndocs/** diff=\n${ATTRIBUTES_BLOCK_END}\n`,
    );
  });

  it('terminates a last line that lacks its newline before appending, and leaves the file ending as it did', () => {
    expect(addAttributeLines('*.png binary', [OURS])).toBe(
      `*.png binary\n${ATTRIBUTES_BLOCK_BEGIN}\n${OURS}\n${ATTRIBUTES_BLOCK_END}`,
    );
    expect(addAttributeLines('*.png binary\n', [OURS])).toBe(
      `*.png binary\n${ATTRIBUTES_BLOCK_BEGIN}\n${OURS}\n${ATTRIBUTES_BLOCK_END}\n`,
    );
  });

  it('install then uninstall restores any file byte for byte, with or without its last newline', () => {
    const line = fc.stringMatching(/^[^\n]*$/);
    fc.assert(
      fc.property(fc.array(line), fc.boolean(), (lines, lastNewline) => {
        const joined = lines.join('\n');
        const user = lastNewline && lines.length > 0 ? joined + '\n' : joined;
        fc.pre(!lines.some((l) => l.trimEnd() === ATTRIBUTES_BLOCK_BEGIN));
        expect(removeAttributeLines(addAttributeLines(user, [OURS, FILTER]), [OURS, FILTER])).toBe(user);
      }),
    );
  });
});
