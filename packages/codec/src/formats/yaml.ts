import type { Document } from 'yaml';
import { JsonFloat, compareCodePoints, pythonFloatRepr, type JsonObject, type JsonValue } from '@nbpipe/nbformat';

/**
 * YAML as jupytext writes its headers: PyYAML's `safe_dump(data, default_flow_style=False)`, byte for
 * byte — sorted keys, 2-space indentation, sequences not indented under their key, YAML 1.1 quoting of
 * strings that would read back as something else, non-ASCII in double quotes with `\xNN` escapes,
 * and folding of long scalars at 80 columns.
 */
export function pyyamlDump(data: JsonObject): string {
  const e = new Emitter();
  e.node(data, { root: true });
  e.lineBreak();
  return e.out;
}

const BEST_WIDTH = 80;
const BEST_INDENT = 2;
const LINE_BREAKS = '\n\x85\u2028\u2029';
const WHITESPACE = '\0 \t\r\n\x85\u2028\u2029';

// YAML 1.1 implicit types (PyYAML's resolver): a plain scalar matching one of these is not a string.
const IMPLICIT: RegExp[] = [
  /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/,
  /^(?:<<)$/,
  /^(?:~|null|Null|NULL|)$/,
  /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/,
  /^(?:=)$/,
];

const resolvesToString = (s: string) => !IMPLICIT.some((re) => re.test(s));

interface Analysis {
  empty: boolean;
  multiline: boolean;
  allowBlockPlain: boolean;
  allowSingleQuoted: boolean;
}

function analyze(scalar: string): Analysis {
  const chars = Array.from(scalar);
  if (chars.length === 0) return { empty: true, multiline: false, allowBlockPlain: true, allowSingleQuoted: true };
  let blockIndicators = false;
  let lineBreaks = false;
  let special = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  if (scalar.startsWith('---') || scalar.startsWith('...')) blockIndicators = true;
  let precededByWhitespace = true;
  let followedByWhitespace = chars.length === 1 || WHITESPACE.includes(chars[1]!);
  let previousSpace = false;
  let previousBreak = false;
  for (let index = 0; index < chars.length; index++) {
    const ch = chars[index]!;
    if (index === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) blockIndicators = true;
      if ('?:'.includes(ch) && followedByWhitespace) blockIndicators = true;
      if (ch === '-' && followedByWhitespace) blockIndicators = true;
    } else {
      if (ch === ':' && followedByWhitespace) blockIndicators = true;
      if (ch === '#' && precededByWhitespace) blockIndicators = true;
    }
    if (LINE_BREAKS.includes(ch)) lineBreaks = true;
    const code = ch.codePointAt(0)!;
    if (!(ch === '\n' || (code >= 0x20 && code <= 0x7e))) special = true; // allow_unicode is off in safe_dump
    if (ch === ' ') {
      if (index === 0) leadingSpace = true;
      if (index === chars.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (LINE_BREAKS.includes(ch)) {
      if (index === 0) leadingBreak = true;
      if (index === chars.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = WHITESPACE.includes(ch);
    followedByWhitespace = index + 2 >= chars.length || WHITESPACE.includes(chars[index + 2]!);
  }
  let allowBlockPlain = true;
  let allowSingleQuoted = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) allowBlockPlain = false;
  if (breakSpace) allowBlockPlain = allowSingleQuoted = false;
  if (spaceBreak || special) allowBlockPlain = allowSingleQuoted = false;
  if (lineBreaks) allowBlockPlain = false;
  if (blockIndicators) allowBlockPlain = false;
  return { empty: false, multiline: lineBreaks, allowBlockPlain, allowSingleQuoted };
}

const ESCAPES: Record<string, string> = {
  '\0': '0',
  '\x07': 'a',
  '\x08': 'b',
  '\x09': 't',
  '\x0A': 'n',
  '\x0B': 'v',
  '\x0C': 'f',
  '\x0D': 'r',
  '\x1B': 'e',
  '"': '"',
  '\\': '\\',
  '\x85': 'N',
  '\xA0': '_',
  '\u2028': 'L',
  '\u2029': 'P',
};

/** PyYAML's representation of a number. */
function numberText(value: number | JsonFloat): string {
  if (value instanceof JsonFloat) {
    if (/^-?\d+$/.test(value.raw)) return value.raw;
    value = value.value;
  } else if (Number.isInteger(value) && Math.abs(value) < 1e16) return String(value);
  if (Number.isNaN(value)) return '.nan';
  if (value === Infinity) return '.inf';
  if (value === -Infinity) return '-.inf';
  const repr = pythonFloatRepr(value).toLowerCase();
  return !repr.includes('.') && repr.includes('e') ? repr.replace('e', '.0e') : repr;
}

class Emitter {
  out = '';
  private column = 0;
  private whitespace = true;
  private indention = true;
  private indent = 0;

  private write(data: string): void {
    this.out += data;
    this.column += Array.from(data).length;
  }

  lineBreak(): void {
    this.out += '\n';
    this.whitespace = true;
    this.indention = true;
    this.column = 0;
  }

  private writeIndent(): void {
    const indent = this.indent;
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) this.lineBreak();
    if (this.column < indent) {
      this.whitespace = true;
      this.write(' '.repeat(indent - this.column));
    }
  }

  private indicator(text: string, needWhitespace: boolean, whitespace = false, indention = false): void {
    this.write(this.whitespace || !needWhitespace ? text : ' ' + text);
    this.whitespace = whitespace;
    this.indention = this.indention && indention;
  }

  node(
    value: JsonValue,
    ctx: { root?: boolean; mappingValue?: boolean; sequenceItem?: boolean; simpleKey?: boolean },
  ): void {
    if (Array.isArray(value)) {
      if (value.length === 0) return this.flowEmpty('[', ']');
      const saved = this.indent;
      // A sequence under a mapping key is not indented (PyYAML's "indentless" sequences).
      const indentless = ctx.mappingValue === true && !this.indention;
      if (!ctx.root && !indentless) this.indent += BEST_INDENT;
      for (const item of value) {
        this.writeIndent();
        this.indicator('-', true, false, true);
        this.node(item, { sequenceItem: true });
      }
      this.indent = saved;
      return;
    }
    if (value !== null && typeof value === 'object' && !(value instanceof JsonFloat)) {
      const keys = Object.keys(value).filter((k) => value[k] !== undefined);
      if (keys.length === 0) return this.flowEmpty('{', '}');
      const saved = this.indent;
      if (!ctx.root) this.indent += BEST_INDENT;
      for (const key of keys.sort(compareCodePoints)) {
        this.writeIndent();
        this.scalar(key, true);
        this.indicator(':', false);
        this.node(value[key]!, { mappingValue: true });
      }
      this.indent = saved;
      return;
    }
    if (value === null) return this.plainScalar('null');
    if (typeof value === 'boolean') return this.plainScalar(value ? 'true' : 'false');
    if (typeof value === 'number' || value instanceof JsonFloat) return this.plainScalar(numberText(value));
    this.scalar(value, false);
  }

  private flowEmpty(open: string, close: string): void {
    this.indicator(open, true, true);
    this.indicator(close, false);
  }

  private plainScalar(text: string): void {
    const saved = this.indent;
    this.indent += BEST_INDENT;
    this.writePlain(text, true);
    this.indent = saved;
  }

  private scalar(text: string, simpleKey: boolean): void {
    const a = analyze(text);
    const saved = this.indent;
    this.indent += BEST_INDENT;
    const split = !simpleKey;
    if (resolvesToString(text) && !(simpleKey && (a.empty || a.multiline)) && a.allowBlockPlain)
      this.writePlain(text, split);
    else if (a.allowSingleQuoted && !(simpleKey && a.multiline)) this.writeSingleQuoted(text, split);
    else this.writeDoubleQuoted(text, split);
    this.indent = saved;
  }

  private writePlain(text: string, split: boolean): void {
    if (!text) return;
    if (!this.whitespace) this.write(' ');
    this.whitespace = false;
    this.indention = false;
    const chars = Array.from(text);
    let spaces = false;
    let start = 0;
    for (let end = 0; end <= chars.length; end++) {
      const ch = chars[end];
      if (spaces) {
        if (ch !== ' ') {
          if (start + 1 === end && this.column > BEST_WIDTH && split) {
            this.writeIndent();
            this.whitespace = false;
            this.indention = false;
          } else this.write(chars.slice(start, end).join(''));
          start = end;
        }
      } else if (ch === undefined || ' \n\x85\u2028\u2029'.includes(ch)) {
        this.write(chars.slice(start, end).join(''));
        start = end;
      }
      if (ch !== undefined) spaces = ch === ' ';
    }
  }

  private writeSingleQuoted(text: string, split: boolean): void {
    this.indicator("'", true);
    const chars = Array.from(text);
    let spaces = false;
    let breaks = false;
    let start = 0;
    for (let end = 0; end <= chars.length; end++) {
      const ch = chars[end];
      if (spaces) {
        if (ch === undefined || ch !== ' ') {
          if (start + 1 === end && this.column > BEST_WIDTH && split && start !== 0 && end !== chars.length)
            this.writeIndent();
          else this.write(chars.slice(start, end).join(''));
          start = end;
        }
      } else if (breaks) {
        if (ch === undefined || !LINE_BREAKS.includes(ch)) {
          if (chars[start] === '\n') this.lineBreak();
          for (const br of chars.slice(start, end)) {
            if (br === '\n') this.lineBreak();
            else {
              this.out += br;
              this.whitespace = true;
              this.indention = true;
              this.column = 0;
            }
          }
          this.writeIndent();
          start = end;
        }
      } else if (ch === undefined || ' \n\x85\u2028\u2029'.includes(ch) || ch === "'") {
        if (start < end) {
          this.write(chars.slice(start, end).join(''));
          start = end;
        }
      }
      if (ch === "'") {
        this.write("''");
        start = end + 1;
      }
      if (ch !== undefined) {
        spaces = ch === ' ';
        breaks = LINE_BREAKS.includes(ch);
      }
    }
    this.indicator("'", false);
  }

  private writeDoubleQuoted(text: string, split: boolean): void {
    this.indicator('"', true);
    const chars = Array.from(text);
    let start = 0;
    for (let end = 0; end <= chars.length; end++) {
      const ch = chars[end];
      const code = ch === undefined ? 0 : ch.codePointAt(0)!;
      if (ch === undefined || '"\\\x85\u2028\u2029\uFEFF'.includes(ch) || !(code >= 0x20 && code <= 0x7e)) {
        if (start < end) {
          this.write(chars.slice(start, end).join(''));
          start = end;
        }
        if (ch !== undefined) {
          const hex = code.toString(16).toUpperCase();
          const data =
            ch in ESCAPES
              ? '\\' + ESCAPES[ch]
              : code <= 0xff
                ? '\\x' + hex.padStart(2, '0')
                : code <= 0xffff
                  ? '\\u' + hex.padStart(4, '0')
                  : '\\U' + hex.padStart(8, '0');
          this.write(data);
          start = end + 1;
        }
      }
      if (
        end > 0 &&
        end < chars.length - 1 &&
        (ch === ' ' || start >= end) &&
        this.column + (end - start) > BEST_WIDTH &&
        split
      ) {
        const data = chars.slice(start, end).join('') + '\\';
        if (start < end) start = end;
        this.write(data);
        this.writeIndent();
        this.whitespace = false;
        this.indention = false;
        if (chars[start] === ' ') this.write('\\');
      }
    }
    this.indicator('"', false);
  }
}

/**
 * Why a parsed YAML document is nested too deeply to be read, or undefined. The `yaml` parser is recursive: it reports
 * its own stack overflow (a few hundred levels of `[[[…]]]` or of indentation) as a parse error, whose message would
 * send the user looking for a bug rather than at the file.
 */
export function yamlNestingProblem(doc: Document): string | undefined {
  return doc.errors.some((error) => error.message.includes('Maximum call stack size exceeded'))
    ? 'nesting too deep to read'
    : undefined;
}
