import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { renderShellScript } from '../src/executors/shell.js';
import { PipelineError } from '../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'nbpipe-shell-quote-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Each way a script may hold a placeholder; each writes what the shell made of the value to `out`. */
const SPOTS: Record<string, string> = {
  word: `printf '%s' {{v}} > out`,
  'inside a word': `printf '%s' x{{v}}y > out`,
  'double quotes': `printf '%s' "{{v}}" > out`,
  'single quotes': `printf '%s' '{{v}}' > out`,
  "$'…'": `printf '%s' $'{{v}}' > out`,
  'an assignment': `x={{v}}; printf '%s' "$x" > out`,
  '$(…)': `x=$(printf '%s.' {{v}}); printf '%s' "\${x%.}" > out`,
  '"$(…)"': `x="$(printf '%s.' "{{v}}")"; printf '%s' "\${x%.}" > out`,
  backticks: "x=`printf '%s.' {{v}}`; printf '%s' \"${x%.}\" > out",
  'a here-document': `cat > out <<EOF\n{{v}}\nEOF`,
  "a here-document <<'EOF'": `cat > out <<'EOF'\n{{v}}\nEOF`,
  'a comment': `# {{v}}\nprintf '%s' ok > out`,
};

function expected(spot: string, value: string): string {
  if (spot === 'inside a word') return `x${value}y`;
  if (spot.startsWith('a here-document')) return `${value}\n`;
  if (spot === 'a comment') return 'ok';
  return value;
}

/** Run the rendered script with bash in a fresh folder: what it wrote, and whether anything else appeared. */
function runScript(script: string, value: string): { out: string; extra: string[] } {
  const work = mkdtempSync(join(dir, 'run-'));
  const rendered = renderShellScript(
    script,
    { product: join(work, 'out'), upstream: {}, params: { v: value } },
    'task.sh',
  );
  const r = spawnSync('bash', ['-c', rendered], { cwd: work, encoding: 'utf8' });
  expect(r.status, `${rendered}\n${r.stderr}`).toBe(0);
  const out = readFileSync(join(work, 'out'), 'utf8');
  const extra = ['pwned', 'pwned2', 'pwned3'].filter((f) => existsSync(join(work, f)));
  return { out, extra };
}

const HOSTILE = [
  'a b  c',
  `it's "quoted"`,
  '$(touch pwned)',
  '`touch pwned2`',
  'line\n$(touch pwned3)\n',
  '-n',
  '--help',
  '\\',
  '\\$HOME \\n',
  "'; touch pwned; '",
  '"; touch pwned; "',
  '${IFS}$HOME',
  ')',
  '#',
  '',
  '\t*?[a]~',
];

describe('placeholders in shell scripts', () => {
  for (const [spot, script] of Object.entries(SPOTS))
    it(`reach the script exactly, and never run, in ${spot}`, () => {
      for (const value of HOSTILE) {
        const { out, extra } = runScript(script, value);
        expect(extra, JSON.stringify(value)).toEqual([]);
        expect(out, JSON.stringify(value)).toBe(expected(spot, value));
      }
    });

  it('quote any text so that the shell reads it back exactly (property)', () => {
    const text = fc.string({ unit: fc.constantFrom(...'ab $`\'"\\\n\t(){}#;&|<>*?-!~EOF'.split('')), maxLength: 24 });
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(SPOTS)), text, (spot, value) => {
        fc.pre(!value.split('\n').includes('EOF'));
        expect(runScript(SPOTS[spot]!, value).out).toBe(expected(spot, value));
      }),
      { numRuns: 60 },
    );
  });

  it('refuse a value with a line that would end its here-document, naming the line', () => {
    expect(() =>
      renderShellScript(
        'echo start\ncat <<EOF\n{{v}}\nEOF\n',
        { product: 'out', upstream: {}, params: { v: 'x\nEOF\nrm -rf ~' } },
        'task.sh',
      ),
    ).toThrow(new PipelineError('{{v}}: a line of its value would end the here-document (EOF)', 'task.sh', 3));
  });
});
