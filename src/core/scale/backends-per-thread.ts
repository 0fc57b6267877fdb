// How many backends one worker thread of a dense cluster serves when `up --backends-per-thread` is not given.
//
// A thread's own start-up (Node's bootstrap and the backend bundle, 120-150 ms of CPU each on this 2-core machine) was
// most of what `up --backends 256 --backend-processes 8` spent coming up: 222 ms of backend CPU per backend, 33.8 s to
// ready (2026-12-07). Up to 64 backends a thread each is cheap enough and keeps every backend on its own event loop;
// past that, threads are shared so that a cluster has about 64 of them.

/** Threads a dense cluster has, about, when the default decides. */
export const DEFAULT_DENSE_THREADS = 64;
export const MAX_BACKENDS_PER_THREAD = 16;

export const defaultBackendsPerThread = (backends: number): number => Math.min(MAX_BACKENDS_PER_THREAD, Math.max(1, Math.ceil(backends / DEFAULT_DENSE_THREADS)));
