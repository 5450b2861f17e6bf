import { parentPort } from 'node:worker_threads';
import { toPlainError } from '../../errdefs/index.js';
import { BytePipe } from '../../util/index.js';
import { applyLayer, type LayerFormat } from './apply.js';

/**
 * The entry of an unpack worker thread (loaded only as a Worker's script, never imported):
 * applyLayer runs here, so decompressing, hashing the tar and writing its files leave berthd's
 * main thread free for the network and the content store. See worker-pool.ts for the protocol.
 */
export type ToWorker = { job: number } & (
  | { type: 'start'; target: string; format: LayerFormat }
  | { type: 'chunk'; data: Uint8Array }
  | { type: 'end' }
  | { type: 'abort'; message: string }
);

export type FromWorker = { job: number } & (
  | { type: 'ack'; bytes: number }
  | { type: 'done'; diffId: string; size: number }
  | { type: 'error'; name: string; message: string; code?: string }
);

const port = parentPort;
if (port) {
  // One job at a time; messages of an earlier job that arrive late are ignored by its number.
  let job: { id: number; pipe: BytePipe; abort: AbortController } | undefined;
  const send = (m: FromWorker): void => port.postMessage(m);
  port.on('message', (m: ToWorker) => {
    if (m.type !== 'start' && m.job !== job?.id) return;
    switch (m.type) {
      case 'start': {
        const id = m.job;
        const current = { id, pipe: new BytePipe(Infinity, (n) => send({ job: id, type: 'ack', bytes: n })), abort: new AbortController() };
        job = current;
        applyLayer(m.target, current.pipe, { format: m.format, signal: current.abort.signal }).then(
          (r) => send({ job: id, type: 'done', diffId: r.diffId, size: r.size }),
          (e: unknown) => send({ job: id, type: 'error', ...toPlainError(e) }),
        );
        break;
      }
      case 'chunk':
        job?.pipe.push(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength));
        break;
      case 'end':
        job?.pipe.end();
        break;
      case 'abort':
        job?.abort.abort(new Error(m.message));
        job?.pipe.cancel(new Error(m.message));
        break;
    }
  });
}
