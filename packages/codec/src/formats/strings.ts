import { commentForLanguage } from './languages.js';
import { pyLstrip } from './text.js';

/**
 * Tracks whether the next line starts inside a string literal, so that cell markers, magics and
 * blank lines inside multi-line strings are left alone. Python-like languages have `'''`/`"""`
 * strings and single-line `'`/`"` strings; in R, `'` and `"` strings may span lines.
 */
export class StringParser {
  private readonly python: boolean;
  private readonly comment: string | undefined;
  private readonly ignore: boolean;
  private single: string | null = null;
  private triple: string | null = null;

  constructor(language: string | null) {
    this.python = language !== 'R';
    this.comment = language === null ? undefined : commentForLanguage(language);
    this.ignore = language === null;
  }

  /** Whether the next line starts inside a string. */
  isQuoted(): boolean {
    return !this.ignore && (this.single !== null || this.triple !== null);
  }

  readLine(line: string): void {
    if (this.ignore) return;
    // Without quotes a line cannot open or close a string (and single-line strings are closed already).
    if (line.indexOf('"') < 0 && line.indexOf("'") < 0) return;
    const comment = this.comment;
    if (!this.isQuoted() && comment !== undefined && pyLstrip(line).startsWith(comment)) return;
    let tripleStart = -1;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i]!;
      if (
        this.single === null &&
        this.triple === null &&
        comment &&
        comment.startsWith(ch) &&
        line.startsWith(comment, i)
      )
        return;
      if (ch !== '"' && ch !== "'") continue;
      if (i > 0 && line[i - 1] === '\\') continue;
      if (this.single === ch) {
        this.single = null;
        continue;
      }
      if (this.single !== null) continue;
      if (!this.python) {
        this.single = ch;
        continue;
      }
      if (i >= 2 && line[i - 1] === ch && line[i - 2] === ch && i >= tripleStart + 3) {
        if (this.triple === ch) {
          this.triple = null;
          tripleStart = i;
          continue;
        }
        if (this.triple !== null) continue;
        this.triple = ch;
        tripleStart = i;
        continue;
      }
      if (this.triple !== null) continue;
      this.single = ch;
    }
    if (this.python) this.single = null;
  }
}
