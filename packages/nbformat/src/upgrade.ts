import { joinLines, splitLines } from './lines.js';
import type { JsonObject, JsonValue } from './types.js';
import { repairCellIds } from './repair.js';
import { joinV3Lines, mapLegacyLines } from './legacy.js';

// nbformat 3 output keys and their nbformat 4 mime types, as Jupyter's converter maps them.
const V3_MIME: Record<string, string> = {
  text: 'text/plain',
  html: 'text/html',
  svg: 'image/svg+xml',
  png: 'image/png',
  jpeg: 'image/jpeg',
  latex: 'text/latex',
  json: 'application/json',
  javascript: 'application/javascript',
};

function upgradeOutput(output: JsonObject): JsonObject {
  const out: JsonObject = { ...output };
  if (out.output_type === 'pyout') out.output_type = 'execute_result';
  if (out.output_type === 'pyerr') out.output_type = 'error';
  if (out.output_type === 'stream') {
    out.name = (out.stream as string | undefined) ?? 'stdout';
    delete out.stream;
    out.text = joinLines(out.text);
    return out;
  }
  if (out.output_type === 'execute_result' || out.output_type === 'display_data') {
    if (out.output_type === 'execute_result') {
      out.execution_count = (out.prompt_number as number | undefined) ?? null;
      delete out.prompt_number;
    }
    const data: JsonObject = {};
    for (const [key, mime] of Object.entries(V3_MIME)) {
      if (!(key in out)) continue;
      let value = out[key] as JsonValue;
      delete out[key];
      if (key === 'json' && typeof value === 'string') value = JSON.parse(value) as JsonValue;
      else value = joinLines(value);
      data[mime] = value;
    }
    out.data = data;
    out.metadata = (out.metadata as JsonObject | undefined) ?? {};
  }
  return out;
}

function upgradeCell(cell: JsonObject): JsonObject {
  const out: JsonObject = { ...cell, metadata: (cell.metadata as JsonObject | undefined) ?? {} };
  if (out.cell_type === 'code') {
    delete out.language;
    if ('collapsed' in out) {
      out.metadata = { ...(out.metadata as JsonObject), collapsed: out.collapsed as boolean };
      delete out.collapsed;
    }
    out.source = joinLines(out.input ?? '');
    delete out.input;
    out.execution_count = (out.prompt_number as number | undefined) ?? null;
    delete out.prompt_number;
    out.outputs = ((out.outputs as JsonObject[] | undefined) ?? []).map(upgradeOutput);
  } else if (out.cell_type === 'heading') {
    const level = (out.level as number | undefined) ?? 1;
    const text = splitLines(joinLines(out.source ?? ''))
      .map((l) => l.replace(/[\r\n]+$/, ''))
      .join(' ');
    out.cell_type = 'markdown';
    out.source = `${'#'.repeat(level)} ${text}`;
    delete out.level;
  } else {
    out.source = joinLines(out.source ?? '');
  }
  return out;
}

/** nbformat 3 → 4.5 (worksheets flattened, heading cells to markdown, outputs to mime bundles). */
export function upgradeV3(nb: JsonObject): JsonObject {
  mapLegacyLines(nb, true, joinV3Lines);
  const cells: JsonObject[] = [];
  for (const ws of (nb.worksheets as JsonObject[] | undefined) ?? [])
    for (const cell of (ws.cells as JsonObject[] | undefined) ?? []) cells.push(upgradeCell(cell));
  // Jupyter gives upgraded cells random ids; derived ones keep reads reproducible.
  repairCellIds(cells);
  const metadata: JsonObject = { ...((nb.metadata as JsonObject | undefined) ?? {}) };
  delete metadata.name;
  delete metadata.signature;
  return { nbformat: 4, nbformat_minor: 5, metadata, cells };
}
