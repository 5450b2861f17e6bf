// A manual check of the CRI streaming server against a real kubectl (not part of the test suite:
// kubectl is not a Debian package CI can install). It serves a tiny fake kube-apiserver (discovery,
// one Pod) whose exec/portforward upgrades are forwarded, as kubelet forwards them, to a streaming
// URL of src/server/cri/streaming, with a runtime that runs host processes and dials 127.0.0.1.
//
//   npx tsc -p tsconfig.json && node scripts/kubectl-streaming-check.mjs   # prints the API port
//   kubectl --server http://127.0.0.1:PORT exec -i mypod -- sh -c 'cat; exit 3'        (WebSocket v5)
//   KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false kubectl --server ... exec ...                (SPDY)
//   kubectl --server http://127.0.0.1:PORT port-forward pod/mypod 8080:PORT_ON_HOST      (SPDY)
import http from 'node:http';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { StreamingServer } from '../dist/src/server/cri/streaming/index.js';

const log = (...a) => console.error('[fake]', ...a);
const runtime = {
  exec(id, cmd, io) {
    log('exec', id, cmd, 'tty', io.tty);
    const child = spawn(cmd[0], cmd.slice(1), { stdio: 'pipe' });
    io.signal.addEventListener('abort', () => { log('abort -> kill'); child.kill('SIGKILL'); });
    if (io.stdin) io.stdin.pipe(child.stdin); else child.stdin.end();
    child.stdin.on('error', () => {});
    if (io.stdout) child.stdout.pipe(io.stdout); else child.stdout.resume();
    if (io.stderr) child.stderr.pipe(io.stderr); else child.stderr.resume();
    if (io.resize) (async () => { for await (const s of io.resize) log('resize', s); })();
    return once(child, 'close').then(([code]) => { log('exit', code); return { exitCode: code ?? 137 }; });
  },
  async attach() { throw new Error('no attach'); },
  async portForward(pod, port, stream, signal) {
    log('portforward', pod, port);
    const sock = net.connect(port, '127.0.0.1');
    await once(sock, 'connect');
    signal.addEventListener('abort', () => sock.destroy());
    stream.pipe(sock); sock.pipe(stream);
    await once(sock, 'close');
  },
};
const streaming = await StreamingServer.start({ address: '127.0.0.1', port: 0, runtime });
const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'mypod', namespace: 'default', uid: 'u1' },
  spec: { containers: [{ name: 'main', image: 'busybox' }] }, status: { phase: 'Running', containerStatuses: [{ name: 'main', ready: true, state: { running: {} } }] } };

const api = http.createServer((req, res) => {
  log(req.method, req.url, req.headers.upgrade ?? '');
  const u = new URL(req.url, 'http://x');
  const json = (o) => { res.writeHead(200, { 'Content-Type': 'application/json' }); res.end(JSON.stringify(o)); };
  if (u.pathname === '/version') return json({ major: '1', minor: '32', gitVersion: 'v1.32.0', platform: 'linux/amd64' });
  if (u.pathname === '/api') return json({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] });
  if (u.pathname === '/apis') return json({ kind: 'APIGroupList', apiVersion: 'v1', groups: [] });
  if (u.pathname === '/api/v1') return json({ kind: 'APIResourceList', groupVersion: 'v1', resources: [
    { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['get', 'list'], shortNames: ['po'] },
    { name: 'pods/exec', singularName: '', namespaced: true, kind: 'PodExecOptions', verbs: ['create', 'get'] },
    { name: 'pods/portforward', singularName: '', namespaced: true, kind: 'PodPortForwardOptions', verbs: ['create', 'get'] }] });
  if (req.method === 'GET' && u.pathname === '/api/v1/namespaces/default/pods/mypod') {
    res.writeHead(200, { 'Content-Type': 'application/json' }); res.end(JSON.stringify(pod)); return;
  }
  res.writeHead(404, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'not found', reason: 'NotFound', code: 404 }));
});
api.on('upgrade', (req, socket, head) => {
  const u = new URL(req.url, 'http://x');
  log('UPGRADE', req.method, req.url, JSON.stringify({ up: req.headers.upgrade, proto: req.headers['x-stream-protocol-version'], ws: req.headers['sec-websocket-protocol'] }));
  const q = u.searchParams;
  let target;
  if (u.pathname.endsWith('/exec')) {
    target = streaming.getExec({ containerId: 'c1', cmd: q.getAll('command'), tty: q.get('tty') === 'true', stdin: q.get('stdin') === 'true', stdout: q.get('stdout') === 'true', stderr: q.get('stderr') === 'true' });
  } else if (u.pathname.endsWith('/portforward')) {
    target = streaming.getPortForward({ podSandboxId: 'p1', ports: q.getAll('ports').map(Number) });
    const ports = q.getAll('ports'); if (ports.length) target += '?' + ports.map(p => 'port=' + p).join('&');
  } else { socket.end('HTTP/1.1 404 Not Found\r\n\r\n'); return; }
  const t = new URL(target);
  const up = net.connect(Number(t.port), t.hostname, () => {
    let head1 = `${req.method} ${t.pathname}${t.search} HTTP/1.1\r\n`;
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const k = req.rawHeaders[i]; if (k.toLowerCase() === 'host') continue;
      head1 += `${k}: ${req.rawHeaders[i + 1]}\r\n`;
    }
    head1 += `Host: ${t.host}\r\n\r\n`;
    up.write(head1); if (head.length) up.write(head);
    up.pipe(socket); socket.pipe(up);
  });
  up.on('error', (e) => { log('up err', e.message); socket.destroy(); });
  socket.on('error', () => up.destroy());
});
api.listen(0, '127.0.0.1', () => { console.log(api.address().port); });
