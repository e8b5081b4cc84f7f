import type { DeviceModel, LabelTreeNode } from '../../contract/index.ts';
import type { DeviceReading, ReadRequest } from './reading.ts';
import type { WorkerRequest } from './worker.ts';

type WorkerAnswer =
  | { type: 'loaded'; info: DeviceModel; loadMs: number; labelTree: LabelTreeNode[] | undefined }
  | { type: 'read'; id: number; reading: DeviceReading }
  | { type: 'failed'; id: number | null; message: string };

/** The model on the device, running in a worker so that the page stays responsive while it reads. */
export class DeviceWorker {
  private next = 0;
  private readonly pending = new Map<number, { resolve: (reading: DeviceReading) => void; reject: (error: Error) => void }>();

  private constructor(
    private readonly worker: Worker,
    readonly info: DeviceModel,
    /** From asking for the model to a session ready to run, in ms. */
    readonly loadMs: number,
    readonly labelTree: LabelTreeNode[] | undefined,
  ) {
    worker.onmessage = ({ data }: MessageEvent<WorkerAnswer>) => {
      if (data.type === 'loaded' || data.id === null) return;
      const waiting = this.pending.get(data.id);
      this.pending.delete(data.id);
      if (data.type === 'read') waiting?.resolve(data.reading);
      else waiting?.reject(new Error(data.message));
    };
  }

  /** Starts the worker and loads the server's running model into it. */
  static start(): Promise<DeviceWorker> {
    const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
    return new Promise((resolve, reject) => {
      worker.onerror = (event) => {
        worker.terminate();
        reject(new Error(event.message || 'the model’s worker could not start'));
      };
      worker.onmessage = ({ data }: MessageEvent<WorkerAnswer>) => {
        if (data.type === 'loaded') resolve(new DeviceWorker(worker, data.info, data.loadMs, data.labelTree));
        else {
          worker.terminate();
          reject(new Error(data.type === 'failed' ? data.message : 'unexpected answer from the model’s worker'));
        }
      };
      worker.postMessage({ type: 'load' } satisfies WorkerRequest);
    });
  }

  read(request: ReadRequest): Promise<DeviceReading> {
    const id = ++this.next;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: 'read', id, request } satisfies WorkerRequest);
    });
  }

  terminate(): void {
    this.worker.terminate();
    for (const { reject } of this.pending.values()) reject(new Error('the model on this device was stopped'));
    this.pending.clear();
  }
}
