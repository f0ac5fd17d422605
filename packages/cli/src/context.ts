import { loadConfig, type LoadedConfig } from './config.js';
import { Output } from './output.js';

export interface GlobalArgs {
  quiet?: boolean;
  verbose?: boolean;
  color?: boolean;
  config?: string;
}

/** What every command handler gets: output, working directory, and the project configuration on demand. */
export interface Context {
  out: Output;
  cwd: string;
  config(): Promise<LoadedConfig>;
}

export function createContext(argv: GlobalArgs): Context {
  const out = new Output(Boolean(argv.quiet), Boolean(argv.verbose), argv.color ?? undefined);
  const cwd = process.cwd();
  let loaded: Promise<LoadedConfig> | undefined;
  return {
    out,
    cwd,
    config: () => (loaded ??= loadConfig(cwd, argv.config)),
  };
}
