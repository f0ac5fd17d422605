import { describe, expect, it } from 'vitest';
import { KernelClient, type JupyterKernelSpec, type RunningKernel } from '@nbpipe/kernel';

const SPEC: JupyterKernelSpec = {
  name: 'fake',
  resourceDir: '/nonexistent',
  argv: ['fake'],
  displayName: 'Fake',
  language: 'python',
  interruptMode: 'signal',
  env: {},
  metadata: {},
};

/**
 * A kernel process that died at once, having printed `output`, which goes with its runtime directory on shutdown (as
 * a forked kernel's output file does).
 */
function deadKernel(output: string): RunningKernel {
  let kept = output;
  const exit = { code: 1, signal: null };
  return {
    pid: 999_999,
    connection: {
      transport: 'tcp',
      ip: '127.0.0.1',
      shell_port: 1,
      iopub_port: 2,
      stdin_port: 3,
      control_port: 4,
      hb_port: 5,
      signature_scheme: 'hmac-sha256',
      key: 'k',
      kernel_name: 'fake',
    },
    exited: Promise.resolve(exit),
    exitStatus: exit,
    spawnError: undefined,
    alive: false,
    get outputTail() {
      return kept;
    },
    outputMark: 0,
    outputSince: () => kept,
    signal: () => {},
    removeConnectionFile: () => {
      kept = '';
    },
  };
}

describe('KernelClient.start', () => {
  it('starts again when the kernel lost a port to another process, even when its output goes with its shutdown', async () => {
    const outputs = ['zmq.error.ZMQError: Address already in use (addr=tcp://127.0.0.1:1)\n', 'ValueError: boom\n'];
    let launches = 0;
    const start = KernelClient.start(SPEC, { launcher: async () => deadKernel(outputs[launches++]!) });
    await expect(start).rejects.toThrow(/cannot start kernel "fake": the kernel process exited with code 1.*boom/);
    expect(launches).toBe(2);
  });
});
