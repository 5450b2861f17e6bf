import { Internal } from '../../../errdefs/index.js';

/** Messages for clients: an error's own message, never a stack or a Node internal code. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

/**
 * An exec that could not start (its command missing or not runnable), in containerd's words, which
 * kubelet shows in a probe's or kubectl exec's failure: "failed to exec in container: failed to
 * start exec "<id>": OCI runtime exec failed: …". An unknown error (gRPC UNKNOWN), as containerd
 * answers; other errors pass as they are.
 */
export function execStartError(e: unknown, execId: string): unknown {
  const kind = (e as { kind?: unknown } | null)?.kind;
  if (!(e instanceof Error) || (kind !== 'command-not-found' && kind !== 'cannot-invoke')) return e;
  const why = e.message.replace(/^failed to create task for container: /, '');
  return new Internal(`failed to exec in container: failed to start exec ${JSON.stringify(execId)}: ${why}`, { cause: e });
}
