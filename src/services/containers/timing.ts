import { signalNumber } from '../../core/runtime/index.js';

/** A signal as Docker's kill event names it: its number. */
export function eventSignal(sig: string): string {
  try {
    return String(signalNumber(sig));
  } catch {
    return sig.replace(/^SIG/, '');
  }
}

/** Whether `p` settles within `ms`. */
export async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  return Promise.race([p.then(() => true), sleep(ms).then(() => false)]);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}
