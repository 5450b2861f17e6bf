import type { LogInfo } from './log-tag.js';

/**
 * The systemd journal's native protocol: one datagram per entry, one field a line, `KEY=value`;
 * a value with a newline goes as `KEY\n`, its length (64-bit little-endian) and the bytes.
 */
export function journalEntry(fields: readonly (readonly [string, string])[]): Buffer {
  const parts: Buffer[] = [];
  for (const [k, v] of fields) {
    const value = Buffer.from(v, 'utf8');
    if (!value.includes(0x0a)) {
      parts.push(Buffer.from(`${k}=`), value, Buffer.from('\n'));
      continue;
    }
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(value.length));
    parts.push(Buffer.from(`${k}\n`), len, value, Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

/** Docker's journald field names for attrs: upper case, [A-Z0-9_] only, no leading '_' (reserved to the journal). */
export function journalKey(k: string): string {
  return k.toUpperCase().replace(/[^A-Z0-9_]/g, '_').replace(/^_+/, '');
}

/** The fields dockerd's journald driver puts on every entry of a container. */
export function journalContainerFields(info: LogInfo, tag: string, attrs: Readonly<Record<string, string>>): [string, string][] {
  const out: [string, string][] = [
    ['CONTAINER_ID', info.id.slice(0, 12)],
    ['CONTAINER_ID_FULL', info.id],
    ['CONTAINER_NAME', info.name],
    ['CONTAINER_TAG', tag],
    ['IMAGE_NAME', info.imageName],
    ['SYSLOG_IDENTIFIER', tag],
  ];
  for (const [k, v] of Object.entries(attrs)) {
    const key = journalKey(k);
    if (key) out.push([key, v]);
  }
  return out;
}

/** One line's entry: its text without the '\n', PRIORITY info (6) for stdout and err (3) for stderr, its time. */
export function journalLine(container: readonly (readonly [string, string])[], e: { stream: 'stdout' | 'stderr'; time: Date; text: string }): Buffer {
  return journalEntry([['MESSAGE', e.text.replace(/\n$/, '')], ['PRIORITY', e.stream === 'stderr' ? '3' : '6'], ['SYSLOG_TIMESTAMP', e.time.toISOString()], ...container]);
}
