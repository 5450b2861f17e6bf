import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { encodeFrame, STDERR, STDOUT } from '../api/index.js';

const mainUrl = new URL('./main.js', import.meta.url).href;

interface Fake { sock: string; log: string[]; close(): Promise<void> }

/** An in-process stand-in for berthd that answers what the CLI sends and records the order. */
async function fakeEngine(): Promise<Fake> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-cli-'));
  const sock = path.join(dir, 'berth.sock');
  const log: string[] = [];
  let pulled = false;
  let finishWait: ((code: number) => void) | undefined;
  let attached: Duplex | undefined;
  const upgraded: Duplex[] = [];
  const json = (res: http.ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const p = url.pathname.replace(/^\/v1\.\d+/, '');
    let body = '';
    req.on('data', (d: Buffer) => { body += d.toString(); });
    req.on('end', () => {
      if (p !== '/_ping') log.push(`${req.method ?? ''} ${p}`);
      if (p === '/_ping') { res.writeHead(200, { 'API-Version': '1.43' }); res.end('OK'); return; }
      if (p === '/containers/create') {
        if (!pulled) { json(res, 404, { message: 'No such image: busybox:latest' }); return; }
        json(res, 201, { Id: body.includes('"Image":"bad"') ? 'bad' : 'c'.repeat(64), Warnings: [] });
        return;
      }
      if (p === '/images/create') {
        pulled = true;
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end('{"status":"Pulling from library/busybox","id":"latest"}\n{"status":"Status: Downloaded newer image for busybox:latest"}\n');
        return;
      }
      if (p.endsWith('/wait')) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.flushHeaders();
        finishWait = (code) => res.end(JSON.stringify({ StatusCode: code }));
        return;
      }
      if (p.endsWith('/start')) {
        if (p.includes('/bad/')) { json(res, 400, { message: 'failed to create task: exec: "nope": executable file not found in $PATH' }); return; }
        res.writeHead(204); res.end();
        setTimeout(() => {
          attached?.write(encodeFrame(STDOUT, Buffer.from('hello out\n')));
          attached?.write(encodeFrame(STDERR, Buffer.from('hello err\n')));
          attached?.end();
          finishWait?.(7);
        }, 20);
        return;
      }
      if (p === '/containers/json') {
        json(res, 200, [{ Id: 'c'.repeat(64), Names: ['/web'], Image: 'busybox', ImageID: 'sha256:x', Command: 'sleep 100', Created: Math.floor(Date.now() / 1000) - 5, Ports: [], Labels: {}, State: 'running', Status: 'Up 4 seconds', HostConfig: { NetworkMode: 'default' }, NetworkSettings: { Networks: {} }, Mounts: [] }]);
        return;
      }
      if (p === '/images/json') {
        json(res, 200, [{ Id: `sha256:${'e'.repeat(64)}`, ParentId: '', RepoTags: ['busybox:latest'], RepoDigests: [], Created: Math.floor(Date.now() / 1000) - 3 * 86400, Size: 4_266_000, SharedSize: -1, Labels: null, Containers: -1 }]);
        return;
      }
      if (p === '/images/busybox/history') {
        json(res, 200, [{ Id: `sha256:${'e'.repeat(64)}`, Created: Math.floor(Date.now() / 1000) - 120, CreatedBy: '/bin/sh -c #(nop) CMD ["sh"]', Tags: ['busybox:latest'], Size: 1200, Comment: '' }]);
        return;
      }
      if (p === '/containers/web/json') {
        json(res, 200, { Id: 'c'.repeat(64), Name: '/web', State: { Status: 'running', Pid: 42 }, Config: { Tty: false, Env: ['A=1'] } });
        return;
      }
      if (p === '/containers/web/logs') {
        assert.equal(url.searchParams.get('tail'), '2');
        res.writeHead(200, { 'Content-Type': 'application/vnd.docker.multiplexed-stream' });
        res.end(Buffer.concat([encodeFrame(STDOUT, Buffer.from('line1\n')), encodeFrame(STDERR, Buffer.from('warn\n'))]));
        return;
      }
      if (p === '/version') {
        json(res, 200, { Version: '0.1.0', ApiVersion: '1.43', MinAPIVersion: '1.24', GitCommit: 'abc', GoVersion: 'node', Os: 'linux', Arch: 'amd64', KernelVersion: '6', BuildTime: '' });
        return;
      }
      if (p === '/containers/nope/json' || p === '/images/nope/json') { json(res, 404, { message: 'No such container: nope' }); return; }
      if (p === '/containers/nope') { json(res, 404, { message: 'No such container: nope' }); return; }
      json(res, 404, { message: `page not found: ${p}` });
    });
  });
  server.on('upgrade', (req, socket: Duplex) => {
    log.push(`UPGRADE ${(req.url ?? '').replace(/^\/v1\.\d+/, '').split('?')[0] ?? ''}`);
    socket.write('HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
    socket.on('error', () => undefined);
    // A half-close from the client means "no more stdin"; output keeps flowing until the exit.
    upgraded.push(socket);
    socket.resume();
    attached = socket;
  });
  await new Promise<void>((r) => server.listen(sock, r));
  return {
    sock, log,
    close: async () => {
      for (const u of upgraded) u.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function berth(sock: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', `import(${JSON.stringify(mainUrl)}).then((m) => m.main(process.argv.slice(1)))`, '--', ...args], {
      env: { ...process.env, BERTH_HOST: '', DOCKER_HOST: '' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('run: pull on missing image, attach → wait → start, demuxed output, exit code', async () => {
  const fake = await fakeEngine();
  try {
    const r = await berth(fake.sock, ['-H', `unix://${fake.sock}`, 'run', '--rm', 'busybox', 'echo', 'hi']);
    assert.equal(r.stdout, 'hello out\n');
    assert.match(r.stderr, /^Unable to find image 'busybox' locally\n/);
    assert.match(r.stderr, /hello err\n/);
    assert.equal(r.code, 7);
    assert.deepEqual(fake.log, [
      'POST /containers/create', 'POST /images/create', 'POST /containers/create',
      `UPGRADE /containers/${'c'.repeat(64)}/attach`, `POST /containers/${'c'.repeat(64)}/wait`, `POST /containers/${'c'.repeat(64)}/start`,
    ]);
  } finally {
    await fake.close();
  }
});

test('ps prints docker\'s table; errors print docker\'s lines and exit codes', async () => {
  const fake = await fakeEngine();
  try {
    const host = `unix://${fake.sock}`;
    const ps = await berth(fake.sock, ['-H', host, 'ps']);
    assert.equal(ps.code, 0);
    assert.match(ps.stdout, /^CONTAINER ID   IMAGE     COMMAND       CREATED         STATUS         PORTS     NAMES\ncccccccccccc   busybox   "sleep 100"   5 seconds ago   Up 4 seconds             web\n$/);
    const rm = await berth(fake.sock, ['-H', host, 'rm', 'nope']);
    assert.equal(rm.code, 1);
    assert.equal(rm.stderr, 'Error response from daemon: No such container: nope\n');
    const ins = await berth(fake.sock, ['-H', host, 'inspect', 'nope']);
    assert.equal(ins.code, 1);
    assert.equal(ins.stdout, '[]\n');
    assert.equal(ins.stderr, 'Error: No such object: nope\n');
    const bad = await berth(fake.sock, ['-H', host, 'ps', '--bogus']);
    assert.equal(bad.code, 125);
    assert.equal(bad.stderr, 'berth: unknown flag: --bogus\n');
    const badRun = await berth(fake.sock, ['-H', host, 'run', '-p', 'x', 'busybox']);
    assert.equal(badRun.code, 125);
    assert.match(badRun.stderr, /^berth: invalid containerPort: x\.\nSee 'berth run --help'\.\n$/);
  } finally {
    await fake.close();
  }
});

test('an unreachable -H socket is reported, not auto-started', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-cli-'));
  try {
    const sock = path.join(dir, 'none.sock');
    const r = await berth(sock, ['-H', `unix://${sock}`, 'ps']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Cannot connect to the berth daemon at unix:\/\/.*none\.sock/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('images, history, logs, inspect -f and version', async () => {
  const fake = await fakeEngine();
  try {
    const host = `unix://${fake.sock}`;
    const images = await berth(fake.sock, ['-H', host, 'image', 'ls']);
    assert.equal(images.stdout, `REPOSITORY   TAG       IMAGE ID       CREATED      SIZE\nbusybox      latest    ${'e'.repeat(12)}   3 days ago   4.27MB\n`);
    const quiet = await berth(fake.sock, ['-H', host, 'images', '-q', '--no-trunc']);
    assert.equal(quiet.stdout, `sha256:${'e'.repeat(64)}\n`);
    const hist = await berth(fake.sock, ['-H', host, 'history', '--human=false', '--format', '{{.Size}}|{{.CreatedBy}}', 'busybox']);
    assert.equal(hist.stdout, '1200|/bin/sh -c #(nop) CMD ["sh"]\n');
    const logs = await berth(fake.sock, ['-H', host, 'logs', '-n', '2', 'web']);
    assert.equal(logs.stdout, 'line1\n');
    assert.equal(logs.stderr, 'warn\n');
    const fmt = await berth(fake.sock, ['-H', host, 'container', 'inspect', '-f', '{{.Name}} {{.State.Pid}} {{json .Config.Env}}', 'web']);
    assert.equal(fmt.stdout, '/web 42 ["A=1"]\n');
    const json = await berth(fake.sock, ['-H', host, 'inspect', 'web']);
    assert.match(json.stdout, /^\[\n    \{\n        "Id": "c+",\n/);
    const ver = await berth(fake.sock, ['-H', host, 'version', '--format', '{{.Server.ApiVersion}}']);
    assert.equal(ver.stdout, '1.43\n');
  } finally {
    await fake.close();
  }
});

test('run -d prints the id; a start that cannot find the command exits 127', async () => {
  const fake = await fakeEngine();
  try {
    const host = `unix://${fake.sock}`;
    await berth(fake.sock, ['-H', host, 'pull', 'busybox']);
    const d = await berth(fake.sock, ['-H', host, 'run', '-d', 'busybox']);
    assert.equal(d.code, 0);
    assert.equal(d.stdout, `${'c'.repeat(64)}\n`);
    const bad = await berth(fake.sock, ['-H', host, 'run', 'bad']);
    assert.equal(bad.code, 127);
    assert.match(bad.stderr, /^berth: Error response from daemon: failed to create task: exec: "nope": executable file not found in \$PATH\.\n/);
  } finally {
    await fake.close();
  }
});
