import { parentPort, workerData } from 'node:worker_threads';
import type { WalkConfig, WalkTask } from './walker.js';
import { SubtreeWalker } from './walker.js';
import type { FromWorker, ToWorker } from './pool.js';

/**
 * Worker side of the parallel walk. It walks the tasks it is given depth first and, while
 * another worker is idle, gives half of its pending directories (the shallowest, which hold
 * the largest subtrees) back to the main thread to pass on.
 */
interface WorkerInput {
  config: WalkConfig;
  /** Slot 0: number of idle workers that nobody has promised work to yet. */
  idle: SharedArrayBuffer;
  progress: boolean;
}

const input = workerData as WorkerInput;
const idle = new Int32Array(input.idle);
const walker = new SubtreeWalker(input.config);
const port = parentPort;
if (port === null) throw new Error('scan worker started outside a worker thread');

const CHECK_EVERY = 64;
const PROGRESS_MS = 200;

function post(message: FromWorker): void {
  (port as NonNullable<typeof port>).postMessage(message);
}

/** Claim one idle worker so that two busy workers do not both split for it. */
function claimIdleWorker(): boolean {
  for (;;) {
    const count = Atomics.load(idle, 0);
    if (count <= 0) return false;
    if (Atomics.compareExchange(idle, 0, count, count - 1) === count) return true;
  }
}

function run(tasks: WalkTask[]): void {
  walker.stack.push(...tasks);
  let steps = 0;
  let lastProgress = Date.now();
  while (walker.step()) {
    if (++steps % CHECK_EVERY !== 0) continue;
    if (walker.stack.length >= 2 && Atomics.load(idle, 0) > 0 && claimIdleWorker()) {
      post({ type: 'split', tasks: walker.stack.splice(0, Math.floor(walker.stack.length / 2)) });
    }
    if (input.progress) {
      const now = Date.now();
      if (now - lastProgress >= PROGRESS_MS) {
        lastProgress = now;
        post({ type: 'progress', visited: walker.visited, current: walker.current });
      }
    }
  }
  post({ type: 'done', partial: walker.takePartial(), visited: walker.visited });
}

port.on('message', (message: ToWorker) => {
  if (message.type === 'tasks') run(message.tasks);
});
