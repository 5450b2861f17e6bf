import { trimHeap } from '../sys/index.js';

/** How often berthd looks at its RSS, and how much growth since the last trim is worth one. */
const EVERY_MS = 15_000;
const GROWTH_BYTES = 16 * 1024 * 1024;
/** When the trim after start-up comes. */
const START_SETTLE_MS = 2_000;

/**
 * Gives memory that large operations freed back to the system: when berthd's RSS is 16 MB above
 * the lowest it has been, the C heap is trimmed (a few ms on the event loop): at once when it grew
 * by that much since the last trim, else once a minute (a pull's threads end 30 s after it).
 * Returns what stops it.
 */
export function startHeapTrim(log: (msg: string) => void): () => void {
  // The lowest RSS seen (at start, or after a trim), and the RSS the last trim left.
  let floor = process.memoryUsage.rss();
  let lastAfter = floor;
  let lastAt = 0;
  // Start-up itself leaves freed memory in the C heap (module loading, the store's first queries):
  // about 1.5 MB given back once it has settled.
  const settled = setTimeout(() => {
    if (!trimHeap()) return;
    floor = lastAfter = process.memoryUsage.rss();
  }, START_SETTLE_MS);
  settled.unref();
  const timer = setInterval(() => {
    const rss = process.memoryUsage.rss();
    if (rss < floor + GROWTH_BYTES) return;
    // Grown since the last trim: trim now; merely still above the floor (threads ended since): once a minute.
    if (rss < lastAfter + GROWTH_BYTES && Date.now() - lastAt < 60_000) return;
    const t0 = performance.now();
    if (!trimHeap()) return void clearInterval(timer);
    const after = process.memoryUsage.rss();
    log(`heap trimmed: RSS ${(rss / 2 ** 20).toFixed(0)} -> ${(after / 2 ** 20).toFixed(0)} MB in ${(performance.now() - t0).toFixed(1)} ms`);
    lastAfter = after;
    lastAt = Date.now();
    floor = Math.min(floor, after);
  }, EVERY_MS);
  timer.unref();
  return () => {
    clearTimeout(settled);
    clearInterval(timer);
  };
}
