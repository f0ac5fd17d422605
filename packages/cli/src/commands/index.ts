import type { CommandModule } from 'yargs';
import type { GlobalArgs } from '../context.js';
import { fmtCommand } from './fmt.js';
import { validateCommand } from './validate.js';
import { stripCommand } from './strip.js';
import { filterProcessCommand } from './filter-process.js';
import { preCommitCommand } from './pre-commit.js';
import { doctorCommand } from './doctor.js';
import { installCommand } from './install.js';
import { uninstallCommand } from './uninstall.js';
import { pairCommand } from './pair.js';
import { syncCommand } from './sync.js';
import { diffCommand } from './diff.js';
import { mergeCommand } from './merge.js';
import { mergeDriverCommand } from './merge-driver.js';
import { diffDriverCommand } from './diff-driver.js';
import { textconvCommand } from './textconv.js';
import { conflictsCommand } from './conflicts.js';
import { runCommand } from './run.js';
import { statusCommand } from './status.js';
import { convertCommand } from './convert.js';
import { configCommand } from './config.js';
import { plotCommand } from './plot.js';
import { exportCommand } from './export.js';
import { nbCommand } from './nb.js';
import { refreshCommand } from './refresh.js';

// One line per command. Command modules import heavy packages inside their handlers so that
// `nbpipe <cmd>` loads only what that command needs (the rules: scripts/startup-rules.mjs).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<GlobalArgs, any>[] = [
  validateCommand,
  fmtCommand,
  stripCommand,
  filterProcessCommand,
  preCommitCommand,
  doctorCommand,
  installCommand,
  uninstallCommand,
  pairCommand,
  syncCommand,
  diffCommand,
  mergeCommand,
  mergeDriverCommand,
  diffDriverCommand,
  textconvCommand,
  conflictsCommand,
  runCommand,
  statusCommand,
  convertCommand,
  configCommand,
  plotCommand,
  exportCommand,
  nbCommand,
  refreshCommand,
];
