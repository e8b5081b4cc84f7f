import { request as httpRequest } from 'node:http';

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface ServerSentEvent<Data> {
  event: string;
  data: Data;
}

/** Opens an event stream (e.g. /api/runs/7/events); `events` fills as they come, `ended` resolves when the stream closes. */
export function followEvents<Data>(port: number, path: string, cookie: string): { events: ServerSentEvent<Data>[]; opened: Promise<void>; ended: Promise<void> } {
  const events: ServerSentEvent<Data>[] = [];
  let opened!: () => void;
  const openedPromise = new Promise<void>((resolve) => (opened = resolve));
  const ended = new Promise<void>((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, path, headers: { cookie } }, (response) => {
      let buffer = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        const blocks = buffer.split('\n\n');
        buffer = blocks.pop()!;
        for (const block of blocks.filter((b) => b.startsWith('event:'))) {
          const [eventLine, dataLine] = block.split('\n');
          events.push({ event: eventLine.slice('event: '.length), data: JSON.parse(dataLine.slice('data: '.length)) });
        }
        opened();
      });
      response.on('end', resolve);
    });
    request.on('error', reject);
    request.end();
  });
  return { events, opened: openedPromise, ended };
}
