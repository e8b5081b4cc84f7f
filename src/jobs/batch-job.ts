import type { JobProgress } from '../contract/index.ts';
import type { RecordOutcome } from '../store/index.ts';
import type { JobContext, JobOutcome } from './types.ts';

/** Progress is written at most this often (and at the start and end): the row is read by every server's event stream. */
const PROGRESS_INTERVAL_MS = 250;

/** The items of a scoring or re-explanation job, those done already (by an earlier runner of the job), and how one is done. */
export interface BatchWork<Item extends { key: string }> {
  items: readonly Item[];
  done: ReadonlySet<string>;
  /** Processes one item and records its result (only while this runner runs the job). */
  process(item: Item): Promise<RecordOutcome>;
  /** Lets go of the model. */
  dispose(): Promise<void>;
}

/**
 * Runs a job of items that `context.runner` has marked running: skips the items recorded already
 * (a job taken over from a worker that died is not done twice), records each result and the
 * progress "done of total", then completes the job. Aborting `controller` stops it between items;
 * so does a write the job refuses (cancelled, or taken over by another runner).
 */
export async function runBatchJob<Item extends { key: string }>(
  context: JobContext,
  runId: number,
  controller: AbortController,
  isStopping: () => boolean,
  prepare: () => Promise<BatchWork<Item>>,
): Promise<JobOutcome> {
  const { store, runner, log } = context;
  const { signal } = controller;
  let writtenAt = 0;
  const writeProgress = async (progress: JobProgress, force = false): Promise<void> => {
    if (!force && Date.now() - writtenAt < PROGRESS_INTERVAL_MS) return;
    writtenAt = Date.now();
    let stillOurs: boolean;
    try {
      stillOurs = await store.runs.setProgress(runId, progress, runner);
      if (stillOurs) await context.announce(runId);
    } catch (error) {
      // a dropped connection for one progress write must not fail a job that cannot be resumed once failed
      log.warn({ err: error, runId }, 'could not record the job\'s progress');
      return;
    }
    if (!stillOurs) controller.abort();
  };
  try {
    const work = await prepare();
    const total = work.items.length;
    let done = work.items.filter((item) => work.done.has(item.key)).length;
    try {
      await writeProgress({ done, total }, true);
      for (const item of work.items) {
        if (signal.aborted || isStopping()) break;
        if (work.done.has(item.key)) continue;
        if ((await work.process(item)) === 'refused') {
          controller.abort();
          break;
        }
        done += 1;
        await writeProgress({ done, total }, done === total);
      }
    } finally {
      await work.dispose();
    }
    if (isStopping()) return 'stopped';
    // cancelled, or another runner took the job over: its row says so already
    if (signal.aborted) return 'ended';
    await store.runs.finish(runId, runner);
  } catch (error) {
    if (isStopping()) return 'stopped';
    log.error({ err: error, runId }, 'job failed');
    await store.runs.fail(runId, (error as Error)?.message ?? String(error), runner);
  }
  await context.announce(runId);
  return 'ended';
}

/**
 * An item's output, or, when the model cannot process its image, the error recorded in its place
 * (one line; `warn` logs the whole error): the job goes on.
 */
export async function outputOrError<Output>(compute: () => Promise<Output>, warn: (error: unknown) => void): Promise<Output | { error: string }> {
  try {
    return await compute();
  } catch (error) {
    warn(error);
    return { error: `the model could not process this image: ${((error as Error)?.message ?? String(error)).split('\n')[0]}` };
  }
}
