import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { connect } from 'node:http2';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { TestDaemon } from './helpers/daemon.js';
import { CriClient, status } from './helpers/cri.js';

/*
 * The CRI RuntimeService over berthd's CRI socket, with the project's own gRPC client: the node-level
 * calls kubelet makes first (Version, Status, UpdateRuntimeConfig), the calls containerd 1.6 leaves
 * out (UNIMPLEMENTED by name), and requests that are not CRI messages at all. Pods: e2e-cri-pods.
 */
let d: TestDaemon;
let cri: CriClient;
let cniDir: string;

before(async () => {
  d = await TestDaemon.start({
    cri: true,
    config: (dir) => {
      cniDir = join(dir, 'net.d');
      return { cri: { 'cni-conf-dir': cniDir } };
    },
  });
  cri = new CriClient(d.criSocket);
  await cri.ready();
});

after(async () => {
  cri?.close();
  await d?.cleanup();
});

test('Version names berth and the v1 API; the socket is the one asked for, root only', async () => {
  const v = CriClient.ok(await cri.rt('Version', { version: '0.1.0' }));
  assert.deepEqual(v, { version: '0.1.0', runtime_name: 'berth', runtime_version: '0.1.0', runtime_api_version: 'v1' });
  const st = await stat(d.criSocket);
  assert.ok(st.isSocket());
  assert.equal(st.mode & 0o777, 0o660);
});

test('Status: RuntimeReady; NetworkReady false with NetworkPluginNotReady until a CNI conf exists, then true', async () => {
  const conditions = async (): Promise<Record<string, { status: boolean; reason: string; message: string }>> => {
    const r = CriClient.ok(await cri.rt('Status', {})) as { status: { conditions: { type: string; status: boolean; reason: string; message: string }[] } };
    return Object.fromEntries(r.status.conditions.map((c) => [c.type, c]));
  };
  let c = await conditions();
  assert.equal(c['RuntimeReady']?.status, true);
  assert.equal(c['NetworkReady']?.status, false);
  assert.equal(c['NetworkReady']?.reason, 'NetworkPluginNotReady');
  assert.match(c['NetworkReady']?.message ?? '', /cni config uninitialized/);

  await mkdir(cniDir, { recursive: true });
  await writeFile(join(cniDir, '05-junk.conflist'), '{ not json');
  c = await conditions();
  assert.equal(c['NetworkReady']?.status, false, 'a file that is not a CNI configuration does not make the network ready');
  assert.match(c['NetworkReady']?.message ?? '', new RegExp(`no network config found in ${cniDir}`));

  await writeFile(
    join(cniDir, '10-pods.conflist'),
    JSON.stringify({ cniVersion: '1.0.0', name: 'berth-pods', plugins: [{ type: 'bridge', bridge: 'cni0', ipam: { type: 'host-local', subnet: '10.88.0.0/16' } }] }),
  );
  c = await conditions();
  assert.equal(c['RuntimeReady']?.status, true);
  assert.deepEqual(c['NetworkReady'], { type: 'NetworkReady', status: true, reason: '', message: '' });

  const verbose = CriClient.ok(await cri.rt('Status', { verbose: true })) as { info: Record<string, string> };
  const cni = JSON.parse(verbose.info['cniconfig'] ?? '{}') as { confDir: string; networks: string[] };
  assert.equal(cni.confDir, cniDir);
  assert.deepEqual(cni.networks, ['berth-pods']);
  await rm(cniDir, { recursive: true, force: true });
  assert.equal((await conditions())['NetworkReady']?.status, false);
});

test('UpdateRuntimeConfig keeps the pod CIDR and Status reports it; a malformed CIDR is INVALID_ARGUMENT', async () => {
  CriClient.ok(await cri.rt('UpdateRuntimeConfig', { runtime_config: { network_config: { pod_cidr: '10.244.1.0/24' } } }));
  const cfg = (): Promise<{ podCIDR: string }> =>
    cri.rt('Status', { verbose: true }).then((r) => JSON.parse((CriClient.ok(r) as { info: Record<string, string> }).info['config'] ?? '{}') as { podCIDR: string });
  assert.equal((await cfg()).podCIDR, '10.244.1.0/24');
  const bad = await cri.rt('UpdateRuntimeConfig', { runtime_config: { network_config: { pod_cidr: '10.244.1.0/99' } } });
  assert.equal(bad.ok, false);
  assert.equal(!bad.ok && bad.code, status.INVALID_ARGUMENT);
  assert.match(!bad.ok ? bad.details : '', /invalid pod CIDR "10\.244\.1\.0\/99"/);
  assert.equal((await cfg()).podCIDR, '10.244.1.0/24', 'a refused update changes nothing');
  // An empty one (kubelet before the node has a CIDR) leaves it as it was.
  CriClient.ok(await cri.rt('UpdateRuntimeConfig', { runtime_config: { network_config: { pod_cidr: '' } } }));
  assert.equal((await cfg()).podCIDR, '10.244.1.0/24');
});

test('the RPCs containerd 1.6 leaves out answer UNIMPLEMENTED naming the RPC', async () => {
  for (const [rpc, req] of [
    ['CheckpointContainer', { container_id: 'x' }],
    ['ListMetricDescriptors', {}],
  ] as const) {
    const r = await cri.rt(rpc, req);
    assert.equal(r.ok, false, rpc);
    assert.equal(!r.ok && r.code, status.UNIMPLEMENTED, rpc);
    assert.match(!r.ok ? r.details : '', new RegExp(`^${rpc} is not implemented by berth`), rpc);
  }
  // GetContainerEvents is a server stream: it ends with the status instead of a reply.
  const stream = (cri.runtime as unknown as { GetContainerEvents(r: object): NodeJS.EventEmitter }).GetContainerEvents({});
  const err = await new Promise<{ code: number; details: string }>((res) => {
    stream.on('error', res);
    stream.on('data', () => undefined);
  });
  assert.equal(err.code, status.UNIMPLEMENTED);
  assert.match(err.details, /^GetContainerEvents is not implemented by berth/);
});

test('bytes that are no CRI message get INVALID_ARGUMENT naming the RPC, and the server keeps serving', async () => {
  // Field 1 with wire type 7, which protobuf does not have.
  const r = await cri.raw('/runtime.v1.RuntimeService/Version', Buffer.from([0x0f]));
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.code, status.INVALID_ARGUMENT);
  assert.match(!r.ok ? r.details : '', /^malformed Version request/);
  // A fixed32 field cut short.
  const wrongType = await cri.raw('/runtime.v1.ImageService/ImageStatus', Buffer.from([0x0d, 0x01, 0x02]));
  assert.equal(!wrongType.ok && wrongType.code, status.INVALID_ARGUMENT);
  assert.equal(CriClient.ok(await cri.rt('Version', {}))['runtime_name'], 'berth');
});

test("a Go client's :authority (the socket's path, as kubelet 1.26 and crictl send it) is served, not reset", async () => {
  // A raw HTTP/2 gRPC call, since grpc-js itself sends "localhost": Node's HTTP/2 server would reset
  // this stream with PROTOCOL_ERROR ('/' is not allowed in an authority) without berth's rewrite.
  const session = connect('http://localhost', { createConnection: () => netConnect(d.criSocket) });
  try {
    const req = session.request({ ':method': 'POST', ':path': '/runtime.v1.RuntimeService/Version', ':authority': d.criSocket, 'content-type': 'application/grpc', te: 'trailers' });
    const chunks: Buffer[] = [];
    const done = new Promise<{ grpcStatus: unknown; rst: number }>((res, rej) => {
      let grpcStatus: unknown;
      req.on('trailers', (tr) => (grpcStatus = tr['grpc-status']));
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('error', rej);
      req.on('close', () => res({ grpcStatus, rst: req.rstCode ?? 0 }));
    });
    req.end(Buffer.from([0, 0, 0, 0, 0]));
    const r = await done;
    assert.equal(r.rst, 0);
    assert.equal(r.grpcStatus, '0');
    assert.match(Buffer.concat(chunks).toString('latin1'), /berth/);
  } finally {
    session.close();
  }
});
