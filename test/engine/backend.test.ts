import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { engineInfo, initEngine } from '../../src/engine/index.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('initEngine', () => {
  it('picks wasm with the training kernels when tfjs-node is not installed, and says why', async () => {
    expect(engineInfo()).toBeNull();
    const info = await initEngine();
    expect(info).toMatchObject({ backend: 'wasm', trainingKernels: true });
    expect(info.reason).toMatch(/tfjs-node unavailable \(not installed\)/);
    expect(tf.getBackend()).toBe('wasm');
    expect(engineInfo()).toEqual(info);
  });

  it('is idempotent and serialises concurrent calls', async () => {
    const [a, b] = await Promise.all([initEngine(), initEngine({ backend: 'auto' })]);
    expect(a).toBe(b);
    expect(await initEngine({ backend: 'wasm' })).toBe(a);
  });

  it('switches to an explicitly requested backend and back', async () => {
    const cpu = await initEngine({ backend: 'cpu' });
    expect(cpu).toMatchObject({ backend: 'cpu', trainingKernels: false });
    expect(tf.getBackend()).toBe('cpu');
    const wasm = await initEngine({ backend: 'wasm' });
    expect(wasm).toMatchObject({ backend: 'wasm', trainingKernels: true });
    expect(tf.getBackend()).toBe('wasm');
  });

  it('restores its choice when someone else switched the TF.js backend', async () => {
    await tf.setBackend('cpu');
    await initEngine();
    expect(tf.getBackend()).toBe('wasm');
  });

  it('rejects an unknown backend and an unavailable tfjs-node with clear errors', async () => {
    await expect(initEngine({ backend: 'gpu' as never })).rejects.toThrow(/unknown backend "gpu"; choose one of: auto, tfjs-node, wasm, cpu/);
    await expect(initEngine({ backend: 'tfjs-node' })).rejects.toThrow(/backend tfjs-node unavailable: not installed/);
    expect(tf.getBackend()).toBe('wasm');
  });

  it('keeps the cpu backend quiet (no "running TensorFlow.js in Node.js" banner)', async () => {
    const warn = vi.spyOn(console, 'warn');
    const log = vi.spyOn(console, 'log');
    await initEngine({ backend: 'cpu' });
    tf.tidy(() => tf.add(tf.tensor([1]), 1).dataSync());
    await initEngine({ backend: 'wasm' });
    const printed = [...warn.mock.calls, ...log.mock.calls].flat().join('\n');
    expect(printed).not.toMatch(/looks like you are running TensorFlow\.js in Node\.js/);
  });
});
