export type Level = 'debug' | 'info' | 'warn' | 'error' | 'fatal';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40, fatal: 50 };

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string, err?: unknown): void;
  error(msg: string, err?: unknown): void;
}

/** Plain lines on stderr, as dockerd writes them: time="…" level=… msg="…". */
export function createLogger(level: Level, out: NodeJS.WritableStream = process.stderr): Logger {
  const emit = (l: Level, msg: string, err?: unknown): void => {
    if (ORDER[l] < ORDER[level]) return;
    const e = err === undefined ? '' : ` error=${JSON.stringify(err instanceof Error ? (err.stack ?? err.message) : String(err))}`;
    out.write(`time="${new Date().toISOString()}" level=${l} msg=${JSON.stringify(msg)}${e}\n`);
  };
  return {
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m, e) => emit('warn', m, e),
    error: (m, e) => emit('error', m, e),
  };
}
