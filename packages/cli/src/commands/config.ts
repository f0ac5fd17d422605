import type { CommandModule } from 'yargs';
import { createContext, type GlobalArgs } from '../context.js';

export const configCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'config',
  describe: 'Print the project configuration nbpipe uses (found from the current folder, validated) as JSON',
  builder: (y) =>
    y
      .example('$0 config', 'show the configuration and, on stderr, the file it came from')
      .example('$0 config --config ci/nbpipe.yaml', 'check a given configuration file'),
  handler: async (argv) => {
    const ctx = createContext(argv);
    const { config, filepath } = await ctx.config();
    ctx.out.info(
      filepath ? `nbpipe: configuration from ${filepath}` : 'nbpipe: no configuration file found; defaults apply',
    );
    ctx.out.print(JSON.stringify(config, null, 2));
  },
};
