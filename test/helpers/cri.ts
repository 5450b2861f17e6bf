import { credentials, loadPackageDefinition, status, type Client, type GrpcObject, type ServiceClientConstructor, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { criProtoPath, PROTO_OPTIONS } from '../../src/server/cri/index.js';

export { status };

type Message = Record<string, unknown>;

/** A finished call: the reply, or the gRPC status it failed with. */
export type CriResult = { ok: true; reply: Message } | { ok: false; code: status; details: string };

/**
 * The project's own CRI client, as kubelet and crictl are: gRPC over the unix socket with the same
 * api.proto the server loads. Each call resolves to its reply or its status, never throws on one.
 */
export class CriClient {
  readonly runtime: Client;
  readonly image: Client;

  constructor(readonly socket: string) {
    const pkg = loadPackageDefinition(loadSync(criProtoPath(), PROTO_OPTIONS));
    const v1 = (pkg['runtime'] as GrpcObject)['v1'] as GrpcObject;
    const target = `unix://${socket}`;
    this.runtime = new (v1['RuntimeService'] as ServiceClientConstructor)(target, credentials.createInsecure());
    this.image = new (v1['ImageService'] as ServiceClientConstructor)(target, credentials.createInsecure());
  }

  /** Until the socket answers (berthd starts the CRI server just after its Engine API). */
  async ready(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const c of [this.runtime, this.image]) {
      await new Promise<void>((res, rej) => c.waitForReady(deadline, (e) => (e ? rej(e) : res())));
    }
  }

  #call(client: Client, method: string, req: Message, timeoutMs: number): Promise<CriResult> {
    const fn = (client as unknown as Record<string, (r: Message, o: { deadline: number }, cb: (e: ServiceError | null, r: Message) => void) => void>)[method];
    if (typeof fn !== 'function') throw new Error(`no such CRI method ${method}`);
    return new Promise((res) => {
      fn.call(client, req, { deadline: Date.now() + timeoutMs }, (e, reply) => {
        res(e ? { ok: false, code: e.code, details: e.details } : { ok: true, reply });
      });
    });
  }

  rt(method: string, req: Message = {}, timeoutMs = 30_000): Promise<CriResult> {
    return this.#call(this.runtime, method, req, timeoutMs);
  }

  img(method: string, req: Message = {}, timeoutMs = 60_000): Promise<CriResult> {
    return this.#call(this.image, method, req, timeoutMs);
  }

  /** The reply of a call that must succeed (the failure's status in the thrown message otherwise). */
  static ok(r: CriResult): Message {
    if (!r.ok) throw new Error(`CRI call failed: ${status[r.code]}: ${r.details}`);
    return r.reply;
  }

  /** Sends `bytes` as the request of `path` (/runtime.v1.ImageService/ImageStatus): malformed input. */
  raw(path: string, bytes: Buffer): Promise<CriResult> {
    return new Promise((res) => {
      this.image.makeUnaryRequest(
        path,
        (b: Buffer) => b,
        (b: Buffer) => ({ bytes: b.length }),
        bytes,
        { deadline: Date.now() + 10_000 },
        (e, reply) => res(e ? { ok: false, code: e.code, details: e.details } : { ok: true, reply: reply ?? {} }),
      );
    });
  }

  close(): void {
    this.runtime.close();
    this.image.close();
  }
}
