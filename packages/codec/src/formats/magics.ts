import { SCRIPT_LANGUAGES, commentForLanguage, scriptLanguage, usualLanguageName } from './languages.js';
import { StringParser } from './strings.js';
import { escapeRegExp, pyLstrip } from './text.js';

/**
 * Jupyter magics (`%time`, `%%bash`, `!ls`, `x = !ls`, `help?`, …) are not valid code in a script, so the
 * script writers comment them and the readers uncomment them. These patterns accept already-commented
 * forms, which is why a comment that looks like a magic gets one more comment level.
 */
interface MagicPatterns {
  magic: RegExp;
  forceEscape: RegExp;
  noEscape: RegExp;
}

function patterns(comment: string, start: string): MagicPatterns {
  const c = escapeRegExp(comment);
  return {
    magic: new RegExp(`^\\s*(${c} |${c})*${start}`),
    forceEscape: new RegExp(`^\\s*(${c} |${c})*${start}(.*)${c}\\s*escape`),
    noEscape: new RegExp(`^\\s*(${c} |${c})*${start}(.*)${c}\\s*noescape`),
  };
}

const MAGICS = new Map<string, MagicPatterns>();
for (const { language, comment } of SCRIPT_LANGUAGES)
  MAGICS.set(usualLanguageName(language), patterns(comment, '(%|%%|%%%)[a-zA-Z]'));
// Rust (evcxr) commands start with `:`, C# (.NET Interactive) with `#!`, Go (gonb) also with `!` or `!*`.
MAGICS.set('rust', patterns('//', ':[a-zA-Z]'));
MAGICS.set('csharp', patterns('//', '#![a-zA-Z]'));
MAGICS.set('go', patterns('//', '(!|!\\*|%|%%|%%%)[a-zA-Z]'));

const NEVER_MAGIC = new Set(['matlab', 'SAS', 'logtalk']);

const PYTHON_HELP_OR_BASH = /^\s*(# |#)*\s*(\?|!)\s*[A-Za-z.~$\\/{}]/;
const PYTHON_MAGIC_ASSIGN = /^(# |#)*\s*([a-zA-Z_][a-zA-Z_$0-9]*)\s*=\s*(%|%%|%%%|!)[a-zA-Z](.*)/;
const PYTHON_HELP_SUFFIX = /^\s*(# )*\S*\?\s*$/;
const PYTHON_SHELL_COMMAND = /^(# |#)*(cat|cd|cp|mv|rm|rmdir|mkdir|copy|ddir|echo|ls|ldir|ren)($|\s$|\s[^=,])/;
const LINE_CONTINUATION = /\\\s*$/;
const MAGIC_CHARACTERS = /[%!?:]/;

/**
 * Whether a line is a magic in `language`. `escapeMagics` false (hydrogen, markdown) only keeps lines
 * that force it with a trailing `# escape`. `explicitlyCode`: the line is known to be in a code cell,
 * where a trailing `?` (help) counts too.
 */
export function isMagic(line: string, language: string, escapeMagics = true, explicitlyCode = false): boolean {
  const lang = usualLanguageName(language);
  const p = MAGICS.get(lang);
  if (!p || NEVER_MAGIC.has(lang)) return false;
  // Every magic has one of these characters, except Python's bare shell commands (`ls`, `cd ..`).
  if (!MAGIC_CHARACTERS.test(line)) return lang === 'python' && escapeMagics && PYTHON_SHELL_COMMAND.test(line);
  const mentionsEscape = line.includes('escape');
  if (mentionsEscape && p.forceEscape.test(line)) return true;
  if (!escapeMagics || (mentionsEscape && p.noEscape.test(line))) return false;
  if (p.magic.test(line)) return true;
  if (lang !== 'python') return false;
  if (PYTHON_HELP_OR_BASH.test(line) || PYTHON_MAGIC_ASSIGN.test(line)) return true;
  if (explicitlyCode && PYTHON_HELP_SUFFIX.test(line)) return true;
  return PYTHON_SHELL_COMMAND.test(line);
}

function commentOf(language: string): string {
  return commentForLanguage(usualLanguageName(language)) ?? commentForLanguage(language) ?? '#';
}

/**
 * The function that applies `edit` to every magic line of a code cell outside strings (and to the continuation lines of
 * a Python magic ending in a backslash), returning a new array.
 */
function magicLineEditor(edit: (line: string, comment: string, continuation: boolean) => string) {
  return (source: readonly string[], language: string, escapeMagics = true, explicitlyCode = true, code = true) => {
    const out = [...source];
    // Quotes in markdown text open no strings.
    const parser = new StringParser(code ? language : null);
    const comment = commentOf(language);
    let continuation = false;
    for (let k = 0; k < out.length; k++) {
      const line = out[k]!;
      if (!parser.isQuoted() && (continuation || isMagic(line, language, escapeMagics, explicitlyCode))) {
        out[k] = edit(line, comment, continuation);
        continuation = language === 'python' && LINE_CONTINUATION.test(line);
      }
      parser.readLine(line);
    }
    return out;
  };
}

/** Comment the magics of a code cell (returns a new array). */
export const commentMagics = magicLineEditor((line, comment, continuation) => {
  if (continuation) return `${comment} ${line}`;
  const body = pyLstrip(line);
  return `${line.slice(0, line.length - body.length)}${comment} ${body}`;
});

/** Remove one comment level after the indentation. */
function unescapeLine(line: string, comment: string): string {
  const body = pyLstrip(line);
  const indent = line.slice(0, line.length - body.length);
  if (body.startsWith(comment + ' ')) return indent + body.slice(comment.length + 1);
  if (body.startsWith(comment)) return indent + body.slice(comment.length);
  return line;
}

/** Undo `commentMagics`: every magic line loses one comment level. */
export const uncommentMagics = magicLineEditor(unescapeLine);

/** Whether a code cell has a line that is a magic only because the cell is explicitly code (`x?`). */
export function needsExplicitCodeMarker(source: readonly string[], language: string, escapeMagics: boolean): boolean {
  if (language !== 'python' || !escapeMagics) return false;
  const parser = new StringParser(language);
  for (const line of source) {
    if (
      !parser.isQuoted() &&
      isMagic(line, language, escapeMagics, true) &&
      !isMagic(line, language, escapeMagics, false)
    )
      return true;
    parser.readLine(line);
  }
  return false;
}

/** Memoized codeStartPattern: one pattern per extension, computed from the constant language table. */
const CODE_START = new Map<string, RegExp>();
/** `# +`, `#+`, `# # +`, …: lines a light reader would take for a cell start. */
function codeStartPattern(extension: string): RegExp | undefined {
  let re = CODE_START.get(extension);
  if (!re) {
    const script = scriptLanguage(extension);
    if (!script) return undefined;
    const c = escapeRegExp(script.comment);
    re = new RegExp(`^(${c} |${c})*(${c}|${c} )\\+`);
    CODE_START.set(extension, re);
  }
  return re;
}

/** Escape code lines that look like a light cell start with one more comment level. */
export function escapeCodeStart(source: readonly string[], extension: string, language: string): string[] {
  const re = codeStartPattern(extension);
  if (!re) return [...source];
  const comment = scriptLanguage(extension)!.comment;
  const parser = new StringParser(language);
  return source.map((line) => {
    const quoted = parser.isQuoted();
    parser.readLine(line);
    return !quoted && re.test(line) ? `${comment} ${line}` : line;
  });
}

/** Undo `escapeCodeStart`: remove one level, only if the line still looks like a cell start afterwards. */
export function unescapeCodeStart(source: readonly string[], extension: string, language: string): string[] {
  const re = codeStartPattern(extension);
  if (!re) return [...source];
  const comment = commentOf(language);
  const parser = new StringParser(language);
  return source.map((line) => {
    const quoted = parser.isQuoted();
    parser.readLine(line);
    if (quoted || !re.test(line)) return line;
    const unescaped = unescapeLine(line, comment);
    return re.test(unescaped) ? unescaped : line;
  });
}
