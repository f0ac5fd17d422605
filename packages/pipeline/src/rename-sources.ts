import { extname, resolve } from 'node:path';
import { isMap, isScalar, isSeq, parseDocument } from 'yaml';
import { PipelineError } from './errors.js';
import type { Pipeline } from './project.js';

/**
 * pipeline.yaml with the `source:` entries of the converted sources renamed: each scalar is edited where it stands
 * in the text, so quoting, comments and layout stay as they are.
 */
export function renameSources(
  p: Pick<Pipeline, 'root' | 'file' | 'label'>,
  yamlText: string,
  renames: Map<string, string>,
): string {
  const doc = parseDocument(yamlText);
  const tasks = doc.get('tasks', true);
  const edits: { start: number; end: number; text: string }[] = [];
  const found = new Set<string>();
  if (isSeq(tasks))
    for (const item of tasks.items) {
      const node = isMap(item) ? item.get('source', true) : undefined;
      if (!isScalar(node) || typeof node.value !== 'string' || !node.range) continue;
      const from = [...renames.keys()].find((path) => resolve(p.root, node.value as string) === resolve(p.root, path));
      if (from === undefined) continue;
      const oldExt = extname(from);
      const newExt = extname(renames.get(from)!);
      const [start, end] = node.range;
      const raw = yamlText.slice(start, end);
      const at = raw.lastIndexOf(oldExt);
      const text = raw.slice(0, at) + newExt + raw.slice(at + oldExt.length);
      if (at < 0 || parseDocument(text).toJS() !== (node.value as string).slice(0, -oldExt.length) + newExt)
        throw new PipelineError(
          `${p.label(p.file)}: cannot rename the source ${JSON.stringify(node.value)} in place; nothing was changed`,
        );
      edits.push({ start, end, text });
      found.add(from);
    }
  for (const path of renames.keys())
    if (!found.has(path))
      throw new PipelineError(
        `${p.label(p.file)}: no "source: ${path}" entry to rename (placeholders?); nothing was changed`,
      );
  let out = yamlText;
  for (const e of edits.sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}
