// A worker thread of writeFieldTileDataset: renders and writes the fields it is sent, one at a time.
import { parentPort } from 'node:worker_threads';
import { writeFieldJob, type FieldJob, type FieldJobOptions } from './field-tiles-job.ts';

export interface FieldWorkerRequest {
  dir: string;
  job: FieldJob;
  options: FieldJobOptions;
}

parentPort!.on('message', (request: FieldWorkerRequest) => {
  writeFieldJob(request.dir, request.job, request.options).then(
    (outcome) => parentPort!.postMessage({ outcome }),
    (error: unknown) => parentPort!.postMessage({ error: error instanceof Error ? error.message : String(error) }),
  );
});
