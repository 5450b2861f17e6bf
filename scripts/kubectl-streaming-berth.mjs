// A manual check of the CRI streaming server on berth's real exec, with a real kubectl (not part of
// the test suite: kubectl is not a Debian package CI can install). It starts a private berthd (the
// tests' TestDaemon) with a busybox container, serves ExecStreamRuntime over that berthd's exec
// (through the Engine API, as test/cri-streaming.test.ts does), and a tiny fake kube-apiserver whose
// exec upgrades go, as kubelet sends them, to the streaming URL. Run as root; stop with SIGTERM.
//
//   npx tsc -p tsconfig.json && node scripts/kubectl-streaming-berth.mjs   # prints the API port
//   kubectl --server http://127.0.0.1:PORT exec -it mypod -- sh -c 'stty size; tty'   (WebSocket v5)
//   KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false kubectl --server ... exec -i mypod -- sh -c 'cat; exit 6'
import http from 'node:http';
import net from 'node:net';
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { TestDaemon } from '../dist/test/helpers/daemon.js';
import { StreamingServer, ExecStreamRuntime } from '../dist/src/server/cri/streaming/index.js';
const log = (...a) => console.error('[real]', ...a);
const d = await TestDaemon.start();
await d.makeBusyboxImage();
const r = await d.berth(['run', '-d', '--name', 'pod-main', 'busybox', 'sleep', '600']);
const cid = r.stdout.trim();
const docker = new Docker({ socketPath: d.socket });
const backend = {
  async create(id, c) { const e = await docker.getContainer(id).exec({ Cmd: c.cmd, Tty: c.tty, AttachStdin: c.attachStdin, AttachStdout: c.attachStdout, AttachStderr: c.attachStderr }); return { id: e.id }; },
  async start(id, opts) {
    const e = docker.getExec(id);
    const conn = await e.start({ hijack: true, stdin: true, Tty: opts.tty ?? false });
    let info = await e.inspect(); while (info.Pid === 0 && info.Running) { await new Promise(r => setTimeout(r, 20)); info = await e.inspect(); }
    const stdout = new PassThrough(), stderr = new PassThrough();
    if (opts.tty) conn.pipe(stdout); else docker.modem.demuxStream(conn, stdout, stderr);
    const ended = new Promise(res => { conn.once('end', res); conn.once('close', res); });
    ended.then(() => { stdout.end(); stderr.end(); });
    const done = ended.then(async () => { for (;;) { const i = await e.inspect(); if (!i.Running && i.ExitCode !== null) return i.ExitCode; await new Promise(r => setTimeout(r, 50)); } });
    return { record: { id, pid: info.Pid }, stdin: conn, stdout, stderr, done };
  },
  async resize(id, h, w) { log('resize', h, w); await docker.getExec(id).resize({ h, w }); },
};
const streaming = await StreamingServer.start({ address: '127.0.0.1', port: 0, runtime: new ExecStreamRuntime(backend) });
const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'mypod', namespace: 'default', uid: 'u1' }, spec: { containers: [{ name: 'main', image: 'busybox' }] }, status: { phase: 'Running' } };
const api = http.createServer((req, res) => {
  const u = new URL(req.url, 'http://x');
  const json = (o) => { res.writeHead(200, { 'Content-Type': 'application/json' }); res.end(JSON.stringify(o)); };
  if (u.pathname === '/version') return json({ major: '1', minor: '32', gitVersion: 'v1.32.0' });
  if (u.pathname === '/api') return json({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
  if (u.pathname === '/apis') return json({ kind: 'APIGroupList', apiVersion: 'v1', groups: [] });
  if (u.pathname === '/api/v1') return json({ kind: 'APIResourceList', groupVersion: 'v1', resources: [{ name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['get'] }] });
  if (u.pathname === '/api/v1/namespaces/default/pods/mypod') return json(pod);
  res.writeHead(404); res.end();
});
api.on('upgrade', (req, socket, head) => {
  const q = new URL(req.url, 'http://x').searchParams;
  const t = new URL(streaming.getExec({ containerId: cid, cmd: q.getAll('command'), tty: q.get('tty') === 'true', stdin: q.get('stdin') === 'true', stdout: q.get('stdout') === 'true', stderr: q.get('stderr') === 'true' }));
  const up = net.connect(Number(t.port), t.hostname, () => {
    let h = `${req.method} ${t.pathname} HTTP/1.1\r\n`;
    for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i].toLowerCase() !== 'host') h += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
    up.write(h + `Host: ${t.host}\r\n\r\n`); if (head.length) up.write(head); up.pipe(socket); socket.pipe(up);
  });
  up.on('error', () => socket.destroy()); socket.on('error', () => up.destroy());
});
api.listen(0, '127.0.0.1', () => console.log(api.address().port));
process.on('SIGTERM', async () => { await streaming.close(); await d.cleanup(); process.exit(0); });
