/** The ONNX graph under construction: nodes, initializers, and values with their layout. */
import type { OnnxAttribute, OnnxInitializer, OnnxNode } from './onnx-proto.ts';

/** A rank-4 value is held as NCHW, a rank-2 value as [N, features]. */
export interface Value {
  name: string;
  layout: 'nchw' | 'flat';
}

export const TO_NCHW = [0, 3, 1, 2];
export const TO_NHWC = [0, 2, 3, 1];

export const int = (name: string, value: number): OnnxAttribute => ({ name, type: 'int', value });
export const ints = (name: string, value: readonly number[]): OnnxAttribute => ({ name, type: 'ints', value });
export const float = (name: string, value: number): OnnxAttribute => ({ name, type: 'float', value });

export class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxInitializer[] = [];
  private readonly taken: Set<string>;

  constructor(reservedNames: Iterable<string>) {
    this.taken = new Set(reservedNames);
  }

  /** Adds a single-output node; the output gets `outputName` or a fresh name under the layer's scope. */
  node(opType: string, scope: string, inputs: string[], attributes: OnnxAttribute[] = [], outputName?: string): string {
    const output = outputName ?? this.freshName(`${scope}/${opType}`);
    this.nodes.push({ opType, name: output, inputs, outputs: [output], attributes });
    return output;
  }

  initializer(scope: string, label: string, dims: number[], data: Float32Array | BigInt64Array): string {
    const name = this.freshName(`${scope}/${label}`);
    this.initializers.push({ name, dims, data });
    return name;
  }

  private freshName(hint: string): string {
    let name = hint;
    for (let i = 1; this.taken.has(name); i++) name = `${hint}_${i}`;
    this.taken.add(name);
    return name;
  }
}
