import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { yamlNestingProblem } from '@nbpipe/codec';
import type { PlainValue as Value } from '@nbpipe/nbformat';
import { PipelineError } from './errors.js';

/** Renders a string scalar (placeholders); `key` and `line` say where it is, for errors. */
export type RenderString = (text: string, key: string, line: number | undefined) => Value;

export interface MappingEntry {
  key: string;
  line: number | undefined;
  node: Node | null;
}

/**
 * A YAML file read with the `yaml` package, keeping node positions so every problem can name its
 * file, line and key. Loaded lazily by the pipeline loader (the parser is costly to import).
 */
export class YamlFile {
  private readonly lines = new LineCounter();
  readonly root: Node | null;

  constructor(
    readonly file: string,
    text: string,
  ) {
    const doc = parseDocument(text, { lineCounter: this.lines, uniqueKeys: true, prettyErrors: false });
    const nesting = yamlNestingProblem(doc);
    if (nesting) throw new PipelineError(`invalid YAML: ${nesting}`, file);
    const error = doc.errors[0];
    if (error) {
      const line = error.linePos?.[0]?.line ?? this.lines.linePos(error.pos[0]).line;
      throw new PipelineError(
        `invalid YAML: ${error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
        file,
        line,
      );
    }
    this.root = (doc.contents as Node | null) ?? null;
  }

  /** 1-based line where a node starts. */
  line(node: Node | null | undefined): number | undefined {
    const offset = node?.range?.[0];
    return offset === undefined ? undefined : this.lines.linePos(offset).line;
  }

  /** Throw a PipelineError at a node, or at a line number. */
  fail(problem: string, where: Node | null | undefined | number, key?: string): never {
    throw new PipelineError(problem, this.file, typeof where === 'number' ? where : this.line(where), key);
  }

  /** The entries of a mapping node, in order; anything else is an error naming `key`. */
  mapping(node: Node | null, key: string): MappingEntry[] {
    if (!isMap(node)) this.fail(`expected a mapping, got ${describe(node)}`, node, key || undefined);
    return node.items.map((pair) => {
      const k = pair.key as Node | null;
      if (!isScalar(k) || (typeof k.value !== 'string' && typeof k.value !== 'number' && typeof k.value !== 'boolean'))
        this.fail('keys must be plain names', k, key || undefined);
      return { key: String(k.value), line: this.line(k), node: pair.value as Node | null };
    });
  }

  /** The items of a sequence node; anything else is an error naming `key`. */
  sequence(node: Node | null, key: string): (Node | null)[] {
    if (!isSeq(node)) this.fail(`expected a list, got ${describe(node)}`, node, key);
    return node.items as (Node | null)[];
  }

  /** A node as plain JSON, string scalars passed through `render`. */
  value(node: Node | null, key: string, render?: RenderString): Value {
    if (node === null || node === undefined) return null;
    if (isMap(node)) {
      const out: Record<string, Value> = {};
      for (const entry of this.mapping(node, key))
        out[entry.key] = this.value(entry.node, key ? `${key}.${entry.key}` : entry.key, render);
      return out;
    }
    if (isSeq(node)) return node.items.map((item, i) => this.value(item as Node | null, `${key}[${i}]`, render));
    if (isScalar(node)) {
      const v = node.value;
      if (typeof v === 'string') return render ? render(v, key, this.line(node)) : v;
      if (typeof v === 'number' || typeof v === 'boolean' || v === null) return v;
      if (typeof v === 'bigint') return Number(v);
      if (v instanceof Date) return v.toISOString();
      return String(v);
    }
    this.fail('aliases and tags are not supported here', node, key);
  }

  /** A scalar that must be a string (after rendering). */
  string(node: Node | null, key: string, render?: RenderString): string {
    const v = this.value(node, key, render);
    if (typeof v !== 'string' || v === '')
      this.fail(
        `expected a non-empty string, got ${typeof v === 'string' ? 'an empty string' : JSON.stringify(v)}`,
        node,
        key,
      );
    return v;
  }
}

function describe(node: Node | null | undefined): string {
  if (node === null || node === undefined) return 'nothing';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    // Bounded: the value may be a whole file (a binary or a wrong file given as the pipeline).
    const text = JSON.stringify(node.value) ?? String(node.value);
    return text.length > 60 ? `${text.slice(0, 60)}…` : text;
  }
  return 'something else';
}
