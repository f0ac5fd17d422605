/** nbformat 4.0–4.5 notebook model. Multi-line strings are held joined (one string). */

export type JsonPrimitive = string | number | boolean | null | JsonFloat;
export type JsonValue = JsonPrimitive | JsonValue[] | JsonObject;
/**
 * A JSON value as plain JavaScript, floats as bare numbers (without the spelling JsonFloat keeps): what a Python
 * literal, a YAML document or `JSON.parse` gives.
 */
export type PlainValue = string | number | boolean | null | PlainValue[] | { [key: string]: PlainValue };
export interface JsonObject {
  [key: string]: JsonValue | undefined;
}

/**
 * A float whose Python rendering differs from JavaScript's (`1.0`, `1e-05`, integers beyond 2^53).
 * Kept so that a notebook round-trips byte for byte; behaves as a number in arithmetic and JSON.
 */
export class JsonFloat {
  constructor(
    readonly value: number,
    readonly raw: string,
  ) {}
  valueOf(): number {
    return this.value;
  }
  toJSON(): number {
    return this.value;
  }
  toString(): string {
    return this.raw;
  }
}

export type MimeBundle = Record<string, JsonValue>;

export interface StreamOutput {
  output_type: 'stream';
  name: 'stdout' | 'stderr' | string;
  text: string;
  [key: string]: JsonValue | undefined;
}
export interface DisplayDataOutput {
  output_type: 'display_data';
  data: MimeBundle;
  metadata: JsonObject;
  transient?: JsonObject;
  [key: string]: JsonValue | undefined;
}
export interface ExecuteResultOutput {
  output_type: 'execute_result';
  /** Absent in some notebooks, which Jupyter reads and writes as they are (README, "Slips repaired on read"). */
  execution_count?: number | null;
  data: MimeBundle;
  metadata: JsonObject;
  [key: string]: JsonValue | undefined;
}
export interface ErrorOutput {
  output_type: 'error';
  ename: string;
  evalue: string;
  traceback: string[];
  [key: string]: JsonValue | undefined;
}
export type Output = StreamOutput | DisplayDataOutput | ExecuteResultOutput | ErrorOutput;

export type Attachments = Record<string, MimeBundle>;

interface CellBase {
  id?: string;
  metadata: JsonObject;
  source: string;
  [key: string]: JsonValue | undefined;
}
export interface CodeCell extends CellBase {
  cell_type: 'code';
  execution_count: number | null;
  outputs: Output[];
}
export interface MarkdownCell extends CellBase {
  cell_type: 'markdown';
  attachments?: Attachments;
}
export interface RawCell extends CellBase {
  cell_type: 'raw';
  attachments?: Attachments;
}
export type Cell = CodeCell | MarkdownCell | RawCell;
export type CellType = Cell['cell_type'];

export interface KernelSpec extends JsonObject {
  name: string;
  display_name: string;
}
export interface LanguageInfo extends JsonObject {
  name: string;
}
export interface NotebookMetadata extends JsonObject {
  kernelspec?: KernelSpec;
  language_info?: LanguageInfo;
}

export interface Notebook {
  nbformat: 4;
  nbformat_minor: number;
  metadata: NotebookMetadata;
  cells: Cell[];
  [key: string]: JsonValue | undefined;
}
