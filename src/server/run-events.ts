import type { FastifyInstance, FastifyReply } from 'fastify';
import { isFinished, type RunRecord } from '../store/index.ts';
import type { RunListener } from '../jobs/index.ts';

const HEARTBEAT_MS = 15_000;

export interface RunEventStreams {
  /**
   * Answers with the run's server-sent events: "run" with `view(run)` at once and at every change
   * (whichever process runs it), then "end" when it has ended, and the stream closes.
   */
  stream(reply: FastifyReply, runId: number, view: (run: RunRecord) => Promise<unknown> | unknown): Promise<void>;
}

/**
 * The event streams of one plugin's routes (training runs, jobs): ended when the server closes,
 * which would otherwise wait for them forever.
 */
export function runEventStreams(
  app: FastifyInstance,
  options: { subscribe(runId: number, listener: RunListener): () => void; read(runId: number): Promise<RunRecord>; securityHeaders: Record<string, string> },
): RunEventStreams {
  const openStreams = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const stop of [...openStreams]) stop();
  });
  return {
    async stream(reply, runId, view) {
      const initial = await options.read(runId);
      reply.hijack();
      const stream = reply.raw;
      stream.writeHead(200, {
        ...options.securityHeaders,
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      let open = true;
      const heartbeat = setInterval(() => stream.write(': keep-alive\n\n'), HEARTBEAT_MS);
      const stop = (): void => {
        if (!open) return;
        open = false;
        openStreams.delete(stop);
        clearInterval(heartbeat);
        unsubscribe();
        stream.end();
      };
      openStreams.add(stop);
      // views are written in the order the changes came, even when a view has to read more
      let writing: Promise<void> = Promise.resolve();
      const send = (run: RunRecord): void => {
        writing = writing.then(async () => {
          if (!open) return;
          const data = JSON.stringify(await view(run));
          if (!open) return;
          stream.write(`event: run\ndata: ${data}\n\n`);
          if (isFinished(run.status)) {
            stream.write(`event: end\ndata: ${data}\n\n`);
            stop();
          }
        }).catch(() => stop());
      };
      const unsubscribe = options.subscribe(initial.id, send);
      stream.on('close', stop);
      send(await options.read(initial.id));
    },
  };
}
