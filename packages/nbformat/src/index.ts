export * from './types.js';
export { NotebookError, isNotebookError, type NotebookErrorCode } from './errors.js';
export {
  parse,
  parseNotebook,
  parseWithoutOutputs,
  serialize,
  serializeVersion,
  normalize,
  toStoredJson,
  rejoinLines,
  decodeNotebookBytes,
  parseNotebookJson,
  type ParseOptions,
  type ParsedNotebook,
  type NotebookVersion,
} from './notebook.js';
export {
  parseJson,
  dumpPython,
  lineColumn,
  JsonSyntaxError,
  JsonNestingError,
  MAX_JSON_DEPTH,
  type DumpOptions,
} from './json.js';
export { pythonFloatRepr, pythonStringRepr, compareCodePoints, readPythonEscape } from './python.js';
export { findLiteralAssignment, parsePythonLiteral, PythonLiteralError, type Assignment } from './python-literal.js';
export { splitLines, splitAtNewlines, joinLines } from './lines.js';
export { findProblem } from './validate.js';
export { newCellId, sourceText, codeCell, markdownCell, rawCell, emptyNotebook, cloneJson } from './helpers.js';
export { scanOutputs, parseWithOutputsEmptied, type OutputsScan, type OutputsRange } from './outputs-scan.js';
export { repairNotebook, repairCellIds, derivedCellId, type Repair } from './repair.js';
export { legacyCells, mapLegacyLines, joinV3Lines, downgradeToV3, serializeV3 } from './legacy.js';
