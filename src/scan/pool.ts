import { Worker } from 'node:worker_threads';
import type { HostPath, WalkConfig, WalkPartial, WalkTask } from './walker.js';
import { emptyPartial, SubtreeWalker } from './walker.js';

export type ToWorker = { type: 'tasks'; tasks: WalkTask[] };
export type FromWorker =
  | { type: 'split'; tasks: WalkTask[] }
  | { type: 'progress'; visited: number; current: HostPath }
  | { type: 'done'; partial: WalkPartial; visited: number };

/** Called now and then during the walk with the number of entries seen and a directory being listed. */
export type ProgressListener = (visited: number, current: HostPath) => void;

/** A Buffer sent to a worker arrives as a plain Uint8Array; turn it back into a Buffer. */
function revivePath(path: HostPath | Uint8Array): HostPath {
  if (typeof path === 'string' || Buffer.isBuffer(path)) return path;
  return Buffer.from(path.buffer, path.byteOffset, path.byteLength);
}

function reviveTasks(tasks: WalkTask[]): WalkTask[] {
  return tasks.map((task) => ({ ...task, path: revivePath(task.path) }));
}

function revivePartial(partial: WalkPartial): WalkPartial {
  return {
    ...partial,
    entries: partial.entries.map((entry) => ({ ...entry, path: revivePath(entry.path) })),
    skipped: partial.skipped.map((dir) => ({ ...dir, path: revivePath(dir.path) })),
    errors: partial.errors.map((error) => ({ ...error, path: revivePath(error.path) })),
  };
}

/** Add `from` into `into`. */
export function mergePartial(into: WalkPartial, from: WalkPartial): void {
  for (const entry of from.entries) into.entries.push(entry);
  for (const dir of from.skipped) into.skipped.push(dir);
  for (const error of from.errors) into.errors.push(error);
  into.vanished += from.vanished;
  const addCounts = (target: WalkPartial['main'], source: WalkPartial['main']): void => {
    for (const key of Object.keys(target) as (keyof WalkPartial['main'])[]) target[key] += source[key];
  };
  addCounts(into.main, from.main);
  from.buckets.forEach((counts, index) => {
    const target = into.buckets[index];
    if (target !== undefined) addCounts(target, counts);
  });
}

/** Walk from `start` in this thread. Used for one thread and by the tests of the walker itself. */
export function walkInThread(config: WalkConfig, start: WalkTask, onProgress?: ProgressListener): WalkPartial {
  const walker = new SubtreeWalker(config);
  walker.stack.push(start);
  let steps = 0;
  let lastProgress = Date.now();
  while (walker.step()) {
    if (onProgress === undefined || ++steps % 64 !== 0) continue;
    const now = Date.now();
    if (now - lastProgress >= 200) {
      lastProgress = now;
      onProgress(walker.visited, walker.current);
    }
  }
  return walker.partial;
}

/**
 * Walk from `start` with `threads` worker threads. The main thread only hands out directories:
 * a worker that runs dry reports back and gets the next queued directory, or waits until a busy
 * worker splits off part of its stack.
 */
export function walkInWorkers(config: WalkConfig, start: WalkTask, threads: number, onProgress?: ProgressListener): Promise<WalkPartial> {
  const idleBuffer = new SharedArrayBuffer(4);
  const idleCount = new Int32Array(idleBuffer);
  const result = emptyPartial(config.buckets.length);
  const queue: WalkTask[][] = [[start]];
  const idle: Worker[] = [];
  const visited = new Map<Worker, number>();
  const workers: Worker[] = [];

  return new Promise<WalkPartial>((resolve, reject) => {
    let finished = false;
    const finish = (error?: unknown): void => {
      if (finished) return;
      finished = true;
      for (const worker of workers) void worker.terminate();
      if (error === undefined) resolve(result);
      else reject(error);
    };

    const dispatch = (): void => {
      while (queue.length > 0 && idle.length > 0) {
        const worker = idle.pop() as Worker;
        worker.postMessage({ type: 'tasks', tasks: queue.shift() as WalkTask[] } satisfies ToWorker);
      }
      if (queue.length === 0 && idle.length === workers.length) finish();
    };

    for (let i = 0; i < threads; i++) {
      const worker = new Worker(new URL('./worker.js', import.meta.url), {
        workerData: { config, idle: idleBuffer, progress: onProgress !== undefined },
      });
      workers.push(worker);
      worker.on('error', (error) => finish(error));
      worker.on('message', (message: FromWorker) => {
        if (message.type === 'split') {
          // The worker already took one from the idle count when it split.
          queue.push(reviveTasks(message.tasks));
          dispatch();
        } else if (message.type === 'progress') {
          visited.set(worker, message.visited);
          let total = 0;
          for (const count of visited.values()) total += count;
          onProgress?.(total, revivePath(message.current));
        } else {
          visited.set(worker, message.visited);
          mergePartial(result, revivePartial(message.partial));
          idle.push(worker);
          if (queue.length === 0) Atomics.add(idleCount, 0, 1);
          dispatch();
        }
      });
    }
    // The first worker gets the start directory; the others start idle and wait for splits.
    idle.push(...workers);
    Atomics.store(idleCount, 0, threads - 1);
    dispatch();
  });
}
