import { humanSize } from './units.js';

/**
 * Docker's JSONProgress.String() (moby's pkg/jsonmessage): `[=====>      ]  12.3MB/45.6MB`. The bar
 * is left out on terminals of 110 columns or fewer, as docker does; the daemon, which has no
 * terminal, formats for 200 columns.
 */
export function progressString(current: number, total: number | undefined, columns = 200): string {
  if (current <= 0 && (total ?? 0) <= 0) return '';
  if (total === undefined || total <= 0) return humanSize(current).padStart(8);
  const half = Math.min(50, Math.trunc(Math.trunc((current / total) * 100) / 2));
  const bar = columns > 110 ? `[${'='.repeat(half)}>${' '.repeat(50 - half)}] ` : '';
  const numbers = current > total ? humanSize(current).padStart(8) : `${humanSize(current).padStart(8)}/${humanSize(total)}`;
  return bar + numbers;
}
