/**
 * The resources a Slurm job asks for: the `slurm` section of the configuration (defaults) and a task's `slurm:` key in
 * pipeline.yaml (README: "Running on a cluster"). Pure: values in, values out.
 */
export interface SlurmSettings {
  partition?: string;
  /** `--time`, as Slurm takes it: `30`, `1:00:00`, `2-00:00:00`. */
  time?: string;
  /** `--cpus-per-task`. */
  cpus?: number;
  /** `--mem`: `500M`, `4G`. */
  memory?: string;
  gres?: string;
  account?: string;
  qos?: string;
  /** Further sbatch options, each one word: `--constraint=avx2`. */
  extra?: string[];
}

const STRING_KEYS = ['partition', 'time', 'memory', 'gres', 'account', 'qos'] as const;
export const SLURM_KEYS = [...STRING_KEYS, 'cpus', 'extra'] as const;

/** The first problem with a `slurm` mapping, with the key it is about (relative to the mapping), or undefined. */
export function slurmSettingsProblem(value: unknown): { key?: string; problem: string } | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value))
    return { problem: `expected a mapping (keys: ${SLURM_KEYS.join(', ')})` };
  for (const [key, v] of Object.entries(value)) {
    if ((STRING_KEYS as readonly string[]).includes(key)) {
      // `time: 30` is minutes, as sbatch reads it.
      if (
        !(typeof v === 'string' && v.trim() !== '') &&
        !(key === 'time' && typeof v === 'number' && Number.isInteger(v) && v > 0)
      )
        return { key, problem: 'expected a non-empty string' };
    } else if (key === 'cpus') {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
        return { key, problem: 'expected a positive integer' };
    } else if (key === 'extra') {
      const list = typeof v === 'string' ? [v] : v;
      if (!Array.isArray(list) || !list.every((x) => typeof x === 'string' && x.startsWith('-')))
        return { key, problem: 'expected sbatch options, each starting with - (e.g. --constraint=avx2)' };
    } else return { key, problem: `unknown key (keys: ${SLURM_KEYS.join(', ')})` };
  }
  return undefined;
}

/** A validated `slurm` mapping as settings (`time: 30` becomes "30", one `extra` string a list). */
export function toSlurmSettings(value: Record<string, unknown>): SlurmSettings {
  const { time, extra, ...rest } = value;
  return {
    ...(rest as SlurmSettings),
    ...(time !== undefined ? { time: String(time) } : {}),
    ...(extra !== undefined ? { extra: typeof extra === 'string' ? [extra] : (extra as string[]) } : {}),
  };
}

/** sbatch options for settings; a task's settings override the defaults key by key (`extra` options add up). */
export function resourceOptions(defaults: SlurmSettings, task: SlurmSettings = {}): string[] {
  const s = { ...defaults, ...task };
  return [
    ...(s.partition ? [`--partition=${s.partition}`] : []),
    ...(s.time ? [`--time=${s.time}`] : []),
    ...(s.cpus ? [`--cpus-per-task=${s.cpus}`] : []),
    ...(s.memory ? [`--mem=${s.memory}`] : []),
    ...(s.gres ? [`--gres=${s.gres}`] : []),
    ...(s.account ? [`--account=${s.account}`] : []),
    ...(s.qos ? [`--qos=${s.qos}`] : []),
    ...(defaults.extra ?? []),
    ...(task.extra ?? []),
  ];
}
