/**
 * What the error channel carries when a command ends, and the terminal sizes the resize channel
 * carries. v4 and later send a metav1.Status as JSON (always, Success included); v1–v3 send a
 * failure's message as plain text and nothing on success.
 */
import type { TerminalSize } from './runtime.js';

export type CommandOutcome = { kind: 'exited'; exitCode: number; cmd?: string[] } | { kind: 'failed'; message: string };

interface StatusCause {
  reason?: string;
  message: string;
}

/** metav1.Status with the fields kubelet sets, in Go's field order. */
interface Status {
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { causes: StatusCause[] };
  code?: number;
}

export function outcomeStatus(o: CommandOutcome): Status {
  if (o.kind === 'exited') {
    if (o.exitCode === 0) return { metadata: {}, status: 'Success' };
    const what = o.cmd ? `command [${o.cmd.join(' ')}] exited with ${o.exitCode}` : `exit code ${o.exitCode}`;
    return {
      metadata: {},
      status: 'Failure',
      message: `command terminated with non-zero exit code: ${what}`,
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: String(o.exitCode) }] },
    };
  }
  // apierrors.NewInternalError: reason InternalError, code 500, the cause's message.
  return {
    metadata: {},
    status: 'Failure',
    message: `Internal error occurred: ${o.message}`,
    reason: 'InternalError',
    details: { causes: [{ message: o.message }] },
    code: 500,
  };
}

/** The bytes for the error channel, or null when the protocol sends nothing. */
export function errorChannelPayload(o: CommandOutcome, statusJson: boolean): Buffer | null {
  const status = outcomeStatus(o);
  if (statusJson) return Buffer.from(JSON.stringify(status));
  if (status.status === 'Success') return null;
  return Buffer.from(status.message ?? 'command failed');
}

/**
 * Reads a stream of JSON objects (`{"Width":80,"Height":24}`, as Go's json.Encoder writes them,
 * newline-separated or not) and returns each complete size; bad objects are dropped, as kubelet's
 * decoder stops on them.
 */
export class ResizeDecoder {
  private buf = '';

  push(chunk: Buffer | string): TerminalSize[] {
    this.buf += chunk.toString();
    const out: TerminalSize[] = [];
    for (;;) {
      const start = this.buf.indexOf('{');
      if (start < 0) {
        this.buf = '';
        return out;
      }
      const end = this.buf.indexOf('}', start);
      if (end < 0) {
        this.buf = this.buf.slice(start);
        return out;
      }
      const text = this.buf.slice(start, end + 1);
      this.buf = this.buf.slice(end + 1);
      const size = parseSize(text);
      if (size) out.push(size);
    }
  }
}

function parseSize(text: string): TerminalSize | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  const width = o['Width'] ?? o['width'];
  const height = o['Height'] ?? o['height'];
  if (!Number.isInteger(width) || !Number.isInteger(height)) return undefined;
  const w = width as number;
  const h = height as number;
  if (w < 0 || h < 0 || w > 0xffff || h > 0xffff) return undefined;
  return { width: w, height: h };
}
