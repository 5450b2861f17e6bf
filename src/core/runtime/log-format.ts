/** One line of a conmon k8s-file log, as written: `<RFC3339Nano time> stdout|stderr F|P <text>`. */
export interface RawLogLine {
  time: Date;
  stream: 'stdout' | 'stderr';
  partial: boolean;
  text: Buffer;
}

const TIME_RE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/;

/** RFC3339Nano to Date (millisecond precision; V8 does not take nine fraction digits everywhere). */
export function parseLogTime(s: string): Date | null {
  const m = TIME_RE.exec(s);
  if (!m) return null;
  const frac = (m[2] ?? '').padEnd(3, '0').slice(0, 3);
  const d = new Date(`${m[1]}.${frac}${m[3]}`);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** Parses one line without its trailing '\n'. Returns null for a line that is not in the format. */
export function parseLogLine(line: Buffer): RawLogLine | null {
  const s1 = line.indexOf(0x20);
  if (s1 < 0) return null;
  const s2 = line.indexOf(0x20, s1 + 1);
  if (s2 < 0) return null;
  const s3 = line.indexOf(0x20, s2 + 1);
  // "P"/"F" may end the line when the text is empty.
  const tagEnd = s3 < 0 ? line.length : s3;
  const time = parseLogTime(line.subarray(0, s1).toString('latin1'));
  const stream = line.subarray(s1 + 1, s2).toString('latin1');
  const tag = line.subarray(s2 + 1, tagEnd).toString('latin1');
  if (!time || (stream !== 'stdout' && stream !== 'stderr')) return null;
  if (tag !== 'F' && tag !== 'P' && !tag.startsWith('F:') && !tag.startsWith('P:')) return null;
  return { time, stream, partial: tag[0] === 'P', text: s3 < 0 ? Buffer.alloc(0) : line.subarray(s3 + 1) };
}
