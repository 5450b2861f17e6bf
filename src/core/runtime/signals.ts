import { constants } from 'node:os';
import { InvalidArgument } from '../../errdefs/index.js';

const SIGNALS = constants.signals as Record<string, number>;

/** 'SIGTERM', 'TERM', 'term', 15 or '15' → 'SIGTERM' (what runc kill takes); others are InvalidArgument. */
export function normalizeSignal(sig: string | number): string {
  if (typeof sig === 'number' || /^[0-9]+$/.test(sig)) {
    const n = Number(sig);
    const name = Object.entries(SIGNALS).find(([, v]) => v === n)?.[0];
    if (!name || n <= 0) throw new InvalidArgument(`Invalid signal: ${sig}`);
    return name === 'SIGIOT' ? 'SIGABRT' : name;
  }
  const up = sig.toUpperCase();
  const name = up.startsWith('SIG') ? up : `SIG${up}`;
  if (!(name in SIGNALS)) throw new InvalidArgument(`Invalid signal: ${sig}`);
  return name;
}

/** The number of a signal name as normalizeSignal gives it ('SIGKILL' → 9): what Docker's events show. */
export function signalNumber(name: string): number {
  return SIGNALS[normalizeSignal(name)] ?? 0;
}
