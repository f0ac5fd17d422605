/** A task as the DAG plot shows it. */
export interface PlotTask {
  name: string;
  upstream: string[];
  /** e.g. `up to date`, `outdated`, `failed`, `never run`. */
  status: string;
  /** Why it is outdated, shown on hover/in labels. */
  reason?: string;
}

const STATUS_COLOURS: Record<string, { fill: string; stroke: string }> = {
  'up to date': { fill: '#dafbe1', stroke: '#1a7f37' },
  outdated: { fill: '#fff8c5', stroke: '#9a6700' },
  failed: { fill: '#ffebe9', stroke: '#cf222e' },
  'never run': { fill: '#f6f8fa', stroke: '#57606a' },
};
const colourOf = (status: string) => STATUS_COLOURS[status] ?? STATUS_COLOURS['never run']!;

const quote = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Mermaid flowchart (renders on GitHub and GitLab in markdown). */
export function dagToMermaid(tasks: PlotTask[]): string {
  const ids = new Map(tasks.map((t, k) => [t.name, `t${k}`]));
  const mermaidText = (s: string) => s.replace(/"/g, '#quot;');
  const lines = ['flowchart LR'];
  for (const t of tasks)
    lines.push(`  ${ids.get(t.name)}["${mermaidText(t.name)}<br/><small>${mermaidText(t.status)}</small>"]`);
  for (const t of tasks)
    for (const u of t.upstream) if (ids.has(u)) lines.push(`  ${ids.get(u)} --> ${ids.get(t.name)}`);
  const statuses = [...new Set(tasks.map((t) => t.status))];
  for (const status of statuses) {
    const cls = status.replace(/\W+/g, '_');
    const { fill, stroke } = colourOf(status);
    lines.push(`  classDef ${cls} fill:${fill},stroke:${stroke}`);
    lines.push(
      `  class ${tasks
        .filter((t) => t.status === status)
        .map((t) => ids.get(t.name))
        .join(',')} ${cls}`,
    );
  }
  return lines.join('\n') + '\n';
}

/** Graphviz DOT. */
export function dagToDot(tasks: PlotTask[]): string {
  const names = new Set(tasks.map((t) => t.name));
  const lines = [
    'digraph pipeline {',
    '  rankdir=LR;',
    '  node [shape=box, style="rounded,filled", fontname="Helvetica"];',
  ];
  for (const t of tasks) {
    const { fill, stroke } = colourOf(t.status);
    const tooltip = t.reason ? `, tooltip=${quote(t.reason)}` : '';
    lines.push(
      `  ${quote(t.name)} [label=${quote(`${t.name}\n${t.status}`)}, fillcolor=${quote(fill)}, color=${quote(stroke)}${tooltip}];`,
    );
  }
  for (const t of tasks) for (const u of t.upstream) if (names.has(u)) lines.push(`  ${quote(u)} -> ${quote(t.name)};`);
  lines.push('}');
  return lines.join('\n') + '\n';
}

/** Layers by longest path from the roots, ordered within a layer by the mean position of their upstream. */
function layout(tasks: PlotTask[]): { layers: string[][] } {
  const byName = new Map(tasks.map((t) => [t.name, t]));
  const layerOf = new Map<string, number>();
  const visiting = new Set<string>();
  const depth = (name: string): number => {
    const known = layerOf.get(name);
    if (known !== undefined) return known;
    if (visiting.has(name)) return 0; // a cycle is reported elsewhere; don't loop here
    visiting.add(name);
    const ups = byName.get(name)?.upstream.filter((u) => byName.has(u)) ?? [];
    const d = ups.length ? Math.max(...ups.map(depth)) + 1 : 0;
    layerOf.set(name, d);
    return d;
  };
  tasks.forEach((t) => depth(t.name));
  const layers: string[][] = [];
  for (const t of tasks) (layers[layerOf.get(t.name)!] ??= []).push(t.name);
  const position = new Map<string, number>();
  for (const layer of layers) {
    const score = (name: string) => {
      const ups = byName.get(name)!.upstream.filter((u) => position.has(u));
      return ups.length ? ups.reduce((s, u) => s + position.get(u)!, 0) / ups.length : Number.POSITIVE_INFINITY;
    };
    layer.sort((a, b) => score(a) - score(b));
    layer.forEach((name, k) => position.set(name, k));
  }
  return { layers };
}

/** A self-contained HTML page with the DAG drawn as inline SVG, coloured by status. */
export function dagToHtml(tasks: PlotTask[], title = 'Pipeline'): string {
  const { layers } = layout(tasks);
  const boxW = 180,
    boxH = 48,
    gapX = 80,
    gapY = 24,
    pad = 20;
  const where = new Map<string, { x: number; y: number }>();
  layers.forEach((layer, col) =>
    layer.forEach((name, row) => where.set(name, { x: pad + col * (boxW + gapX), y: pad + row * (boxH + gapY) })),
  );
  const width = pad * 2 + Math.max(1, layers.length) * (boxW + gapX) - gapX;
  const height = pad * 2 + Math.max(1, ...layers.map((l) => l.length)) * (boxH + gapY) - gapY;
  const edges: string[] = [];
  for (const t of tasks) {
    const to = where.get(t.name)!;
    for (const u of t.upstream) {
      const from = where.get(u);
      if (!from) continue;
      const x1 = from.x + boxW,
        y1 = from.y + boxH / 2,
        x2 = to.x,
        y2 = to.y + boxH / 2,
        mx = (x1 + x2) / 2;
      edges.push(`<path d="M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2 - 6},${y2}" marker-end="url(#arrow)"/>`);
    }
  }
  const nodes = tasks.map((t) => {
    const { x, y } = where.get(t.name)!;
    const { fill, stroke } = colourOf(t.status);
    const label = t.name.length > 24 ? t.name.slice(0, 23) + '…' : t.name;
    const tip = `${t.name}: ${t.status}${t.reason ? ` (${t.reason})` : ''}`;
    return `<g class="task"><title>${escapeHtml(tip)}</title><rect x="${x}" y="${y}" width="${boxW}" height="${boxH}" rx="8" fill="${fill}" stroke="${stroke}"/><text x="${x + boxW / 2}" y="${y + 20}" class="name">${escapeHtml(label)}</text><text x="${x + boxW / 2}" y="${y + 37}" class="status">${escapeHtml(t.status)}</text></g>`;
  });
  const legend = Object.entries(STATUS_COLOURS)
    .map(
      ([status, c]) =>
        `<span><i style="background:${c.fill};border-color:${c.stroke}"></i>${escapeHtml(status)}</span>`,
    )
    .join('');
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
body{font-family:-apple-system,BlinkMacSystemFont,"Segoe UI",Helvetica,Arial,sans-serif;margin:24px;color:#1f2328}
svg path{fill:none;stroke:#8c959f;stroke-width:1.5}
svg text{text-anchor:middle;font-size:13px}svg text.status{font-size:11px;fill:#57606a}
.legend span{margin-right:16px;font-size:13px}.legend i{display:inline-block;width:12px;height:12px;border:1px solid;border-radius:3px;margin-right:4px;vertical-align:-1px}
</style></head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="legend">${legend}</p>
<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#8c959f" stroke="none"/></marker></defs>
${edges.join('\n')}
${nodes.join('\n')}
</svg>
</body>
</html>
`;
}
