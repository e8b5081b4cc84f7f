import type * as tf from '@tensorflow/tfjs-core';
import { runStock, type KernelContext, type WasmKernelFunc } from './context.ts';

/**
 * Identity shares the input's buffer (tensors are immutable), as the cpu backend does. The engine
 * clones every tensor it saves for the backward pass, so the stock copy cost 5-7 ms a training step.
 */
export function identity(context: KernelContext): WasmKernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x } = inputs;
    if (x.dtype === 'string') return runStock(context, 'Identity', backend, inputs, attrs);
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  };
}

/** A cast to the same dtype is an identity (the ReLU gradient casts a float32 step to float32). */
export function cast(context: KernelContext): WasmKernelFunc {
  const share = identity(context);
  return (args) => {
    const { dtype } = args.attrs as unknown as tf.CastAttrs;
    return dtype === args.inputs.x.dtype ? share(args) : runStock(context, 'Cast', args.backend, args.inputs, args.attrs);
  };
}
