import type { CommandModule } from 'yargs';
import { createContext, type GlobalArgs } from '../context.js';
import { CliError } from '../errors.js';
import { writeText } from '../io.js';
import { envOverrides, pipelineArgs, pipelineOptions, loadCommandPipeline } from '../pipeline-commands.js';

interface Args extends GlobalArgs {
  target: string;
  output?: string;
  image?: string;
  outdated?: boolean;
  changed?: boolean;
  since?: string;
  env?: string[];
  'entry-point'?: string;
}

const KNOWN = ['target', 'output', 'o', 'image', 'outdated', 'changed', 'since', 'env', 'entry-point', 'e'];

export const exportCommand: CommandModule<GlobalArgs, Args> = {
  command: 'export <target>',
  describe:
    'Export the pipeline to a cluster engine: an Argo Workflows Workflow or a Slurm submit script (one step or job per task)',
  builder: (y) =>
    pipelineOptions(
      y
        .positional('target', { choices: ['argo', 'slurm'], describe: 'the engine', demandOption: true })
        .option('output', { alias: 'o', type: 'string', describe: 'file to write (default: stdout)' })
        .option('image', {
          type: 'string',
          describe: 'container image with the project and nbpipe (default: argo.image in the config)',
        })
        .option('outdated', {
          type: 'boolean',
          describe: 'only the tasks that are outdated here, and their downstream',
        })
        .option('changed', {
          type: 'boolean',
          describe: 'only the tasks changed in git since REF, and their downstream',
        })
        .option('since', {
          type: 'string',
          describe: 'REF for --changed (default: the commit of the last successful run, else HEAD@{1})',
        })
        .conflicts('outdated', ['changed', 'since']),
    )
      .example('$0 export argo -o workflow.yaml --image registry.example.com/team/project:1.0', 'the whole pipeline')
      .example('$0 export argo --changed --since origin/main | argo submit - --watch', 'what this branch changed')
      .example('$0 export slurm --outdated -o submit.sh && sh submit.sh', 'submit the outdated tasks to Slurm by hand'),
  handler: async (argv) => {
    const ctx = createContext(argv);
    const env = envOverrides(argv as unknown as Record<string, unknown>, KNOWN);
    const settings = ((await ctx.config()).config.argo ?? {}) as Omit<
      import('@nbpipe/pipeline').ArgoOptions,
      'image'
    > & { image?: string };
    const image = argv.image ?? settings.image;
    if (argv.target === 'argo' && !image)
      throw new CliError('export argo: no image: pass --image or set argo.image in the nbpipe configuration');
    if (argv.target === 'slurm' && argv.image !== undefined)
      throw new CliError('export slurm: --image is for argo (Slurm jobs run in the project folder)');
    const {
      planRun,
      changedTasks,
      describeChangedSet,
      argoWorkflow,
      projectName,
      DEFAULT_ARGO_COMMAND,
      slurmJobs,
      slurmSubmitScript,
    } = await import('@nbpipe/pipeline');
    const p = await loadCommandPipeline(ctx, argv['entry-point'], env);

    let selected: Set<string> | undefined;
    if (argv.changed || argv.since !== undefined) {
      const set = await changedTasks(p, argv.since);
      ctx.out.info(describeChangedSet(set, 'export'));
      selected = set.tasks;
    } else if (argv.outdated)
      selected = new Set(
        planRun(p, {})
          .filter((t) => t.run)
          .map((t) => t.name),
      );
    const tasks = p.tasks
      .filter((t) => !selected || selected.has(t.name))
      .map((t) => ({
        name: t.name,
        upstream: t.upstream,
        products: typeof t.spec.product === 'string' ? { product: t.spec.product } : { ...t.spec.product },
      }));
    if (tasks.length === 0) {
      ctx.out.info('nothing to export: no task selected');
      return;
    }
    if (argv.target === 'slurm') {
      const { slurmDefaults } = await import('./run-slurm.js');
      const jobs = slurmJobs(
        tasks.map((t) => ({ ...t, slurm: p.byName.get(t.name)!.spec.slurm })),
        {
          root: p.root,
          file: p.file,
          command: 'nbpipe',
          pipelineArgs: pipelineArgs(p, env),
          defaults: await slurmDefaults(ctx),
        },
      );
      await writeText(argv.output ?? '-', slurmSubmitScript(jobs, p.root, p.file));
      if (argv.output && argv.output !== '-')
        ctx.out.info(`wrote ${argv.output}: ${tasks.length} task(s) of ${p.tasks.length}`);
      return;
    }
    if (selected && settings.storage === 'artifacts')
      ctx.out.warn(
        'an incremental export with artifacts reads the products of the tasks it leaves out from the image: build it with them',
      );
    else if (selected && !settings.volume?.claimName)
      ctx.out.warn(
        'an incremental export reads the products of the tasks it leaves out from the volume: use an existing claim that holds them (argo.volume.claimName), or an image built with them',
      );

    // The step command runs the same pipeline with the same env overrides as this export.
    const workflow = argoWorkflow(tasks, {
      ...settings,
      image: image!,
      name: settings.name ?? (await projectName(p)),
      command: settings.command ?? [...DEFAULT_ARGO_COMMAND, ...pipelineArgs(p, env)],
    });
    const { stringify } = await import('../yaml.js');
    await writeText(argv.output ?? '-', stringify(workflow, { lineWidth: 0 }));
    if (argv.output && argv.output !== '-')
      ctx.out.info(`wrote ${argv.output}: ${tasks.length} task(s) of ${p.tasks.length}`);
  },
};
