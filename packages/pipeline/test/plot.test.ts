import { describe, expect, it } from 'vitest';
import { dagToDot, dagToHtml, dagToMermaid, type PlotTask } from '../src/report/plot.js';

const tasks: PlotTask[] = [
  { name: 'load', upstream: [], status: 'up to date' },
  { name: 'clean "raw"', upstream: ['load'], status: 'outdated', reason: 'source changed' },
  { name: 'report', upstream: ['clean "raw"', 'load'], status: 'never run' },
];

describe('DAG plot', () => {
  it('mermaid has every node, edge and a status class', () => {
    const m = dagToMermaid(tasks);
    expect(m).toMatch(/^flowchart LR\n/);
    expect(m).toContain('t0 --> t1');
    expect(m).toContain('t1 --> t2');
    expect(m).toContain('t0 --> t2');
    expect(m).toContain('clean #quot;raw#quot;');
    expect(m).toMatch(/classDef outdated fill:#fff8c5/);
  });
  it('dot quotes names and colours by status', () => {
    const d = dagToDot(tasks);
    expect(d).toContain('"clean \\"raw\\"" -> "report";');
    expect(d).toContain('tooltip="source changed"');
  });
  it('html is a self-contained page with one box per task laid out left to right', () => {
    const h = dagToHtml(tasks, 'demo');
    expect(h.match(/<g class="task">/g)).toHaveLength(3);
    expect(h.match(/marker-end="url\(#arrow\)"/g)).toHaveLength(3);
    expect(h).not.toMatch(/<script|src="http/);
    expect(h).toContain('clean &quot;raw&quot;');
  });
});
