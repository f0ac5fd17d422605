/** What the Argo exporter needs to know of a task: its name, its upstream tasks and its product paths. */
export interface ExportTask {
  name: string;
  upstream: string[];
  /** Product paths relative to the project root, by product key (`nb`, `data`, …). */
  products: Record<string, string>;
}

export interface ArgoResources {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
}

export interface ArgoOptions {
  /** Container image holding the project and nbpipe. */
  image: string;
  /** Command run for one task; `{{task}}` is replaced by the task name. */
  command?: string[];
  /** Folder of the project inside the image. */
  projectDir?: string;
  /** `generateName` prefix of the workflow. */
  name?: string;
  namespace?: string;
  serviceAccountName?: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  resources?: ArgoResources;
  /** Per-task resources, by task name. */
  taskResources?: Record<string, ArgoResources>;
  env?: Record<string, string>;
  /**
   * How products travel between steps: `volume` mounts one shared volume on the project folder (a
   * volumeClaimTemplate, or an existing claim); `artifacts` passes each product as an Argo artifact.
   */
  storage?: 'volume' | 'artifacts';
  volume?: { claimName?: string; size?: string; storageClassName?: string; accessModes?: string[] };
}

export const DEFAULT_ARGO_COMMAND = ['nbpipe', 'run', '{{task}}', '--only', '--force'];

/** Kubernetes object names: lowercase alphanumerics and '-', starting and ending alphanumeric, at most 63. */
export function dnsLabel(name: string): string {
  const label = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return label || 'task';
}

/** Unique DNS labels for task names that may collide once lowercased and cleaned. */
function uniqueLabels(names: string[]): Map<string, string> {
  const labels = new Map<string, string>();
  const used = new Set<string>();
  for (const name of names) {
    const base = dnsLabel(name);
    let label = base === 'pipeline' || base === 'prepare-workspace' ? `task-${base}` : base;
    for (let k = 2; used.has(label); k++) label = `${base.slice(0, 60)}-${k}`;
    used.add(label);
    labels.set(name, label);
  }
  return labels;
}

type Json = Record<string, unknown>;

/**
 * An Argo Workflows `Workflow` running the pipeline as a DAG: one template per task running
 * `nbpipe run <task> --only --force` in the project image, dependencies from the pipeline's DAG.
 * Task names become DNS labels (lowercase, '-'); colliding labels get a numeric suffix.
 * Tasks whose upstream is not exported (an incremental export) run without those dependencies:
 * their inputs are expected on the shared volume already.
 */
export function argoWorkflow(tasks: ExportTask[], options: ArgoOptions): Json {
  const storage = options.storage ?? 'volume';
  const projectDir = options.projectDir ?? '/app';
  // With a shared volume, a first step copies the project onto it and every task runs there, so that
  // products (and nbpipe's state) persist between steps; with artifacts, tasks run in the image itself.
  const workingDir = storage === 'volume' ? '/workspace' : projectDir;
  const labels = uniqueLabels(tasks.map((t) => t.name));
  const exported = new Set(tasks.map((t) => t.name));
  const command = options.command ?? DEFAULT_ARGO_COMMAND;
  const env = Object.entries(options.env ?? {}).map(([name, value]) => ({ name, value }));
  const volumeName = 'workspace';

  const artifactName = (key: string) => dnsLabel(key);
  const templates: Json[] = tasks.map((task) => {
    const resources = options.taskResources?.[task.name] ?? options.resources;
    const container: Json = {
      image: options.image,
      command: command.map((part) => part.replaceAll('{{task}}', task.name)),
      workingDir,
      ...(options.imagePullPolicy ? { imagePullPolicy: options.imagePullPolicy } : {}),
      ...(env.length ? { env } : {}),
      ...(resources ? { resources } : {}),
      ...(storage === 'volume' ? { volumeMounts: [{ name: volumeName, mountPath: workingDir }] } : {}),
    };
    const template: Json = { name: labels.get(task.name), container };
    if (storage === 'artifacts') {
      const inputs = task.upstream
        .filter((u) => exported.has(u))
        .flatMap((u) => {
          const up = tasks.find((t) => t.name === u)!;
          return Object.entries(up.products).map(([key, path]) => ({
            name: `${labels.get(u)}-${artifactName(key)}`,
            path: `${workingDir}/${path}`,
          }));
        });
      const outputs = Object.entries(task.products).map(([key, path]) => ({
        name: artifactName(key),
        path: `${workingDir}/${path}`,
      }));
      if (inputs.length) template.inputs = { artifacts: inputs };
      if (outputs.length) template.outputs = { artifacts: outputs };
    }
    return template;
  });

  const prepare = 'prepare-workspace';
  if (storage === 'volume')
    templates.unshift({
      name: prepare,
      container: {
        image: options.image,
        command: ['sh', '-c', `cp -a ${projectDir}/. ${workingDir}/`],
        ...(options.imagePullPolicy ? { imagePullPolicy: options.imagePullPolicy } : {}),
        volumeMounts: [{ name: volumeName, mountPath: workingDir }],
      },
    });
  const dagTasks = tasks.map((task) => {
    const dependencies = task.upstream.filter((u) => exported.has(u)).map((u) => labels.get(u)!);
    if (storage === 'volume' && dependencies.length === 0) dependencies.push(prepare);
    const dagTask: Json = { name: labels.get(task.name), template: labels.get(task.name) };
    if (dependencies.length) dagTask.dependencies = dependencies;
    if (storage === 'artifacts') {
      const artifacts = task.upstream
        .filter((u) => exported.has(u))
        .flatMap((u) =>
          Object.keys(tasks.find((t) => t.name === u)!.products).map((key) => ({
            name: `${labels.get(u)}-${artifactName(key)}`,
            from: `{{tasks.${labels.get(u)}.outputs.artifacts.${artifactName(key)}}}`,
          })),
        );
      if (artifacts.length) dagTask.arguments = { artifacts };
    }
    return dagTask;
  });

  if (storage === 'volume') dagTasks.unshift({ name: prepare, template: prepare });
  const spec: Json = {
    entrypoint: 'pipeline',
    templates: [{ name: 'pipeline', dag: { tasks: dagTasks } }, ...templates],
  };
  if (options.serviceAccountName) spec.serviceAccountName = options.serviceAccountName;
  if (storage === 'volume') {
    const volume = options.volume ?? {};
    if (volume.claimName) spec.volumes = [{ name: volumeName, persistentVolumeClaim: { claimName: volume.claimName } }];
    else
      spec.volumeClaimTemplates = [
        {
          metadata: { name: volumeName },
          spec: {
            accessModes: volume.accessModes ?? ['ReadWriteOnce'],
            resources: { requests: { storage: volume.size ?? '1Gi' } },
            ...(volume.storageClassName ? { storageClassName: volume.storageClassName } : {}),
          },
        },
      ];
  }
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: {
      generateName: `${dnsLabel(options.name ?? 'nbpipe').slice(0, 56)}-`,
      ...(options.namespace ? { namespace: options.namespace } : {}),
    },
    spec,
  };
}
