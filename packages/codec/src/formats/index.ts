// Text formats: jupytext-compatible percent, light and markdown notebooks. Pure: strings and notebooks in and out.
export { FormatError, isFormatError } from './errors.js';
export {
  parseFormat,
  resolveFormat,
  formatToString,
  formatVersion,
  autoExtension,
  type FormatSpec,
  type FormatName,
} from './spec.js';
export {
  notebookToText,
  textToNotebook,
  notebookForIpynb,
  guessScriptFormat,
  validateFormatOptions,
  parseFormatOptionValue,
  type NotebookToTextOptions,
  type TextToNotebookOptions,
} from './notebook.js';
export { FORMAT_OPTIONS } from './context.js';
export {
  SCRIPT_LANGUAGES,
  JUPYTER_LANGUAGES,
  extensionForLanguage,
  scriptLanguage,
  isScriptExtension,
  usualLanguageName,
  type ScriptLanguage,
} from './languages.js';
export {
  filterCellMetadata,
  filterNotebookMetadata,
  parseMetadataFilter,
  metadataFilterToString,
  type MetadataFilter,
} from './filters.js';
export { yamlNestingProblem } from './yaml.js';
