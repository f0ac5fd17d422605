/**
 * Script languages jupytext knows: extension, language name and line-comment syntax.
 * The order is jupytext's: it is the search order when `auto` picks an extension from a language.
 */
export interface ScriptLanguage {
  /** File extension, with its dot: `.py`. */
  readonly extension: string;
  /** jupytext's language name: `python`, `R`, `c++`, `wolfram language`, … */
  readonly language: string;
  /** Line-comment token: `#`, `//`, `(*`, … */
  readonly comment: string;
  /** Closing token for languages that only have block comments (`*)`), else empty. */
  readonly commentSuffix: string;
}

const table: [string, string, string, string?][] = [
  ['.py', 'python', '#'],
  ['.coco', 'coconut', '#'],
  ['.R', 'R', '#'],
  ['.r', 'R', '#'],
  ['.jl', 'julia', '#'],
  ['.cpp', 'c++', '//'],
  ['.ss', 'scheme', ';;'],
  ['.clj', 'clojure', ';;'],
  ['.scm', 'scheme', ';;'],
  ['.sh', 'bash', '#'],
  ['.ps1', 'powershell', '#'],
  ['.q', 'q', '/'],
  ['.m', 'matlab', '%'],
  ['.wolfram', 'wolfram language', '(*', '*)'],
  ['.pro', 'idl', ';'],
  ['.js', 'javascript', '//'],
  ['.ts', 'typescript', '//'],
  ['.scala', 'scala', '//'],
  ['.rs', 'rust', '//'],
  ['.robot', 'robotframework', '#'],
  ['.resource', 'robotframework', '#'],
  ['.cs', 'csharp', '//'],
  ['.fsx', 'fsharp', '//'],
  ['.fs', 'fsharp', '//'],
  ['.sos', 'sos', '#'],
  ['.java', 'java', '//'],
  ['.groovy', 'groovy', '//'],
  ['.sage', 'sage', '#'],
  ['.ml', 'ocaml', '(*', '*)'],
  ['.hs', 'haskell', '--'],
  ['.tcl', 'tcl', '#'],
  ['.mac', 'maxima', '/*', '*/'],
  ['.gp', 'gnuplot', '#'],
  ['.do', 'stata', '//'],
  ['.sas', 'sas', '/*', '*/'],
  ['.xsh', 'xonsh', '#'],
  ['.lgt', 'logtalk', '%'],
  ['.logtalk', 'logtalk', '%'],
  ['.lua', 'lua', '--'],
  ['.go', 'go', '//'],
];

export const SCRIPT_LANGUAGES: readonly ScriptLanguage[] = table.map(
  ([extension, language, comment, commentSuffix]) => ({
    extension,
    language,
    comment,
    commentSuffix: commentSuffix ?? '',
  }),
);

const byExtension = new Map(SCRIPT_LANGUAGES.map((l) => [l.extension, l]));

/** The script language of an extension (`.py`), or undefined when it is not a script extension. */
export function scriptLanguage(extension: string): ScriptLanguage | undefined {
  return byExtension.get(extension);
}

export function isScriptExtension(extension: string): boolean {
  return byExtension.has(extension);
}

/** Comment token for a language name (the last table entry wins, as in jupytext), `#` if unknown. */
const commentByLanguage = new Map(SCRIPT_LANGUAGES.map((l) => [l.language, l.comment]));
export function commentForLanguage(language: string): string | undefined {
  return commentByLanguage.get(language);
}

/** Names accepted after `%%` as a language cell magic, and as the info string of a markdown code fence. */
export const JUPYTER_LANGUAGES: ReadonlySet<string> = new Set([
  'R',
  'bash',
  'sh',
  'python',
  'python2',
  'python3',
  'coconut',
  'javascript',
  'js',
  'perl',
  'html',
  'latex',
  'markdown',
  'pypy',
  'ruby',
  'script',
  'svg',
  'matlab',
  'octave',
  'idl',
  'robotframework',
  'sas',
  'spark',
  'sql',
  'cython',
  'haskell',
  'tcl',
  'gnuplot',
  'wolfram language',
  ...SCRIPT_LANGUAGES.map((l) => l.language),
  'c#',
  'f#',
  'cs',
  'fs',
]);

const jupyterLanguagesLower = new Set([...JUPYTER_LANGUAGES].map((l) => l.toLowerCase()));

/** Whether `name` is a Jupyter language, ignoring case. */
export function isJupyterLanguage(name: string): boolean {
  return jupyterLanguagesLower.has(name.toLowerCase());
}

/** The name jupytext uses to compare languages (`r` → `R`, `octave` → `matlab`, `c#` → `csharp`, …). */
export function usualLanguageName(language: string): string {
  const lower = language.toLowerCase();
  if (lower === 'r') return 'R';
  if (lower.startsWith('c++')) return 'c++';
  if (lower === 'octave') return 'matlab';
  if (lower === 'cs' || lower === 'c#') return 'csharp';
  if (lower === 'fs' || lower === 'f#') return 'fsharp';
  if (lower === 'sas') return 'SAS';
  return lower;
}

export function sameLanguage(a: string, b: string): boolean {
  return usualLanguageName(a) === usualLanguageName(b);
}

/** A kernel language as jupytext stores it as the notebook's main language. */
export function normalizeLanguage(language: string): string {
  if (language === 'R' || language === 'sas') return language;
  if (language.startsWith('C++')) return 'c++';
  return language.toLowerCase().replace(/#/g, 'sharp');
}

/** The script extension for a language (first match in the table), or undefined. */
export function extensionForLanguage(language: string): string | undefined {
  return SCRIPT_LANGUAGES.find((l) => sameLanguage(l.language, language))?.extension;
}
