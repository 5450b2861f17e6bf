/**
 * Docker's human-readable units (github.com/docker/go-units), shared by the daemon (container
 * Status text) and the CLI (CREATED and SIZE columns) so that both print exactly what docker prints.
 */

/** units.HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / 60000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(ms / 3600000);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(Math.trunc(ms / 3600000) / 24 / 365)} years`;
}

/** Go's `%.<p>g`: shortest of %e/%f at p significant digits, trailing zeros dropped. */
export function formatG(value: number, precision: number): string {
  if (value === 0) return '0';
  const s = value.toPrecision(precision);
  const m = /^(-?[\d.]+)e([+-])(\d+)$/.exec(s);
  if (m) {
    const mant = trimZeros(m[1] ?? '');
    const exp = (m[3] ?? '').padStart(2, '0');
    return `${mant}e${m[2] ?? '+'}${exp}`;
  }
  return trimZeros(s);
}

function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

const DECIMAL_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];

/** units.HumanSizeWithPrecision: decimal (1000-based) units. */
export function humanSizeWithPrecision(size: number, precision: number): string {
  let i = 0;
  while (size >= 1000 && i < DECIMAL_UNITS.length - 1) {
    size /= 1000;
    i++;
  }
  return `${formatG(size, precision)}${DECIMAL_UNITS[i] ?? 'B'}`;
}

/** units.HumanSize (precision 4), used by `docker info` and prune summaries. */
export function humanSize(size: number): string {
  return humanSizeWithPrecision(size, 4);
}

const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

/** units.BytesSize: binary (1024-based) units, precision 4. */
export function bytesSize(size: number): string {
  let i = 0;
  while (size >= 1024 && i < BINARY_UNITS.length - 1) {
    size /= 1024;
    i++;
  }
  return `${formatG(size, 4)}${BINARY_UNITS[i] ?? 'B'}`;
}

/** Decimal or binary size with a unit suffix (docker's RAMInBytes: k/m/g are 1024-based). */
export function ramInBytes(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b)?$/i.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const mult: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };
  const f = mult[(m[2] ?? '').toLowerCase()];
  return f === undefined ? undefined : Math.trunc(n * f);
}

export interface StatusState {
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  Dead: boolean;
  ExitCode: number;
  StartedAt: string;
  FinishedAt: string;
  RemovalInProgress?: boolean;
}

const ZERO_TIME = '0001-01-01T00:00:00Z';
function isZero(t: string): boolean {
  return t === '' || t === ZERO_TIME || Number.isNaN(Date.parse(t));
}

/** The `Status` text of `GET /containers/json` (moby's State.String()). */
export function containerStatusText(s: StatusState, now: number = Date.now()): string {
  if (s.Running) {
    const up = humanDuration(now - Date.parse(s.StartedAt));
    if (s.Paused) return `Up ${up} (Paused)`;
    if (s.Restarting) return `Restarting (${s.ExitCode}) ${humanDuration(now - Date.parse(s.FinishedAt))} ago`;
    return `Up ${up}`;
  }
  if (s.RemovalInProgress) return 'Removal In Progress';
  if (s.Dead) return 'Dead';
  if (isZero(s.StartedAt)) return 'Created';
  if (isZero(s.FinishedAt)) return '';
  return `Exited (${s.ExitCode}) ${humanDuration(now - Date.parse(s.FinishedAt))} ago`;
}
