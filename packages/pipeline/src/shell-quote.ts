/**
 * Substituting values into shell code so that the shell sees each value as data, exactly: every
 * value is quoted for where it lands — a plain word, "double quotes", 'single quotes', $'…',
 * `backticks`, a comment, a here-document — so that spaces, quotes, `$(…)`, backticks and newlines in
 * a branch name or an env.yaml value never run as code (README: nbpipe run).
 */

/** Where in a shell script an offset lies, as far as quoting goes. */
type Context =
  | { kind: 'code' | 'backtick' | 'double' | 'single' | 'ansi' | 'comment' }
  | { kind: 'heredoc'; delimiter: string; quoted: boolean; stripTabs: boolean };

/** A value whose text cannot be placed safely at its spot (a line of it would end a here-document). */
export class UnsafeSubstitution extends Error {
  constructor(
    message: string,
    /** Offset of the placeholder in the script. */
    readonly offset: number,
  ) {
    super(message);
  }
}

interface Frame {
  kind: 'code' | 'backtick' | 'double';
  /** For code inside `$(`: parentheses opened since, so that its `)` is found. */
  parens: number;
  nested: boolean;
}

interface Heredoc {
  delimiter: string;
  quoted: boolean;
  stripTabs: boolean;
}

const HEREDOC_START = /^<<(-?)[ \t]*((?:'[^'\n]*'|"[^"\n]*"|\\?[^\s;&|<>()'"])+)/;

/** Reads a shell script left to right, keeping track of quoting, comments and here-documents. */
class ShellScanner {
  private pos = 0;
  private frames: Frame[] = [{ kind: 'code', parens: 0, nested: false }];
  private mode: 'frames' | 'single' | 'ansi' | 'comment' | 'heredoc' = 'frames';
  private pending: Heredoc[] = [];
  private heredoc: Heredoc | undefined;
  private lineStart = true;

  constructor(private readonly text: string) {}

  context(): Context {
    if (this.mode === 'heredoc') return { kind: 'heredoc', ...this.heredoc! };
    if (this.mode !== 'frames') return { kind: this.mode };
    return { kind: this.frames[this.frames.length - 1]!.kind };
  }

  /** Move to `to`, treating the text skipped with `skipTo` (a placeholder) as plain word characters. */
  advance(to: number): void {
    while (this.pos < to) this.step();
  }

  skipTo(to: number): void {
    this.pos = to;
    this.lineStart = false;
  }

  private step(): void {
    const { text } = this;
    const c = text[this.pos]!;
    const next = text[this.pos + 1];
    const atLineStart = this.lineStart;
    this.lineStart = false;
    const top = this.frames[this.frames.length - 1]!;
    switch (this.mode) {
      case 'single':
        if (c === "'") this.mode = 'frames';
        break;
      case 'ansi':
        if (c === '\\') this.pos++;
        else if (c === "'") this.mode = 'frames';
        break;
      case 'comment':
        if (c === '\n') return this.newline();
        break;
      case 'heredoc': {
        const h = this.heredoc!;
        if (atLineStart) {
          const end = text.indexOf('\n', this.pos);
          const line = text.slice(this.pos, end === -1 ? text.length : end);
          if ((h.stripTabs ? line.replace(/^\t+/, '') : line) === h.delimiter) {
            this.pos = end === -1 ? text.length : end + 1;
            this.lineStart = true;
            this.heredoc = this.pending.shift();
            if (!this.heredoc) this.mode = 'frames';
            return;
          }
        }
        if (c === '\\' && !h.quoted) this.pos++;
        else if (c === '\n') this.lineStart = true;
        break;
      }
      case 'frames':
        if (c === '\\') this.pos++;
        else if (top.kind === 'double') {
          if (c === '"') this.frames.pop();
          else if (c === '$' && next === '(') this.enterSubstitution();
          else if (c === '`') this.frames.push({ kind: 'backtick', parens: 0, nested: true });
        } else if (c === '`' && top.kind === 'backtick') this.frames.pop();
        else if (c === '`') this.frames.push({ kind: 'backtick', parens: 0, nested: true });
        else if (c === "'") this.mode = 'single';
        else if (c === '$' && next === "'") {
          this.mode = 'ansi';
          this.pos++;
        } else if (c === '"') this.frames.push({ kind: 'double', parens: 0, nested: true });
        else if (c === '$' && next === '(') this.enterSubstitution();
        else if (c === '(') top.parens++;
        else if (c === ')') {
          if (top.parens > 0) top.parens--;
          else if (top.nested) this.frames.pop();
        } else if (c === '#' && (this.pos === 0 || /[\s;&|()<>]/.test(text[this.pos - 1]!))) this.mode = 'comment';
        else if (c === '<' && next === '<' && text[this.pos + 2] !== '<') {
          const m = HEREDOC_START.exec(text.slice(this.pos));
          if (m) {
            const word = m[2]!;
            this.pending.push({
              delimiter: word.replace(/['"\\]/g, ''),
              quoted: /['"\\]/.test(word),
              stripTabs: m[1] === '-',
            });
            this.pos += m[0].length;
            return;
          }
        } else if (c === '\n') return this.newline();
        break;
    }
    this.pos++;
  }

  /** `$(`: code again, up to its `)`. */
  private enterSubstitution(): void {
    this.frames.push({ kind: 'code', parens: 0, nested: true });
    this.pos++;
  }

  /** A newline ends a comment and starts the here-documents announced on its line. */
  private newline(): void {
    this.pos++;
    this.lineStart = true;
    this.mode = 'frames';
    if (this.pending.length) {
      this.heredoc = this.pending.shift();
      this.mode = 'heredoc';
    }
  }
}

// As Python's shlex.quote: text the shell reads as is stays bare, so that rendered scripts read as written.
const singleQuoted = (value: string) => (/^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`);

/** The text that makes the shell read `value` exactly, at a spot in the given context. */
function quoteFor(context: Context, value: string): string {
  switch (context.kind) {
    case 'code':
      return singleQuoted(value);
    case 'backtick':
      // Inside backticks, `\`, `$` and the backtick itself are unescaped once before the command is read.
      return singleQuoted(value).replace(/[\\`$]/g, '\\$&');
    case 'double':
      return value.replace(/[\\"$`]/g, '\\$&');
    case 'single':
      return value.replace(/'/g, `'\\''`);
    case 'ansi':
      return value.replace(/[\\']/g, '\\$&');
    case 'comment':
      // Inert text, but a line break would end the comment.
      return value.replace(/\n/g, '\\n').replace(/\r/g, '\\r');
    case 'heredoc': {
      const ends = value
        .split('\n')
        .some((line) => (context.stripTabs ? line.replace(/^\t+/, '') : line) === context.delimiter);
      if (ends) throw new Error(`a line of its value would end the here-document (${context.delimiter})`);
      return context.quoted ? value : value.replace(/[\\$`]/g, '\\$&');
    }
  }
}

/**
 * Replace each match of `placeholder` (a global pattern) in the shell code `text` with `valueOf(match)`,
 * quoted for the spot it lands in. Throws UnsafeSubstitution when a value cannot be placed safely.
 */
export function substituteInShell(
  text: string,
  placeholder: RegExp,
  valueOf: (match: RegExpExecArray) => string,
): string {
  const scanner = new ShellScanner(text);
  let out = '';
  let last = 0;
  for (const match of text.matchAll(placeholder)) {
    scanner.advance(match.index);
    out += text.slice(last, match.index);
    const value = valueOf(match);
    try {
      out += quoteFor(scanner.context(), value);
    } catch (e) {
      throw new UnsafeSubstitution(`${match[0]}: ${(e as Error).message}`, match.index);
    }
    last = match.index + match[0].length;
    scanner.skipTo(last);
  }
  return out + text.slice(last);
}
