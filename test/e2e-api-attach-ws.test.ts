import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, WebSocket } from 'undici';
import { eventually, TestDaemon, useBusyboxDaemon } from './helpers/daemon.js';

let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

/** undici's WebSocket client (an implementation independent of berth's) over the daemon's socket. */
function connect(path: string): { ws: WebSocket; received: () => string; closed: Promise<number>; opened: Promise<void>; kinds: Set<string> } {
  const ws = new WebSocket(`ws://localhost${path}`, { dispatcher: new Agent({ connect: { socketPath: d.socket } }) });
  ws.binaryType = 'arraybuffer';
  const chunks: Buffer[] = [];
  const kinds = new Set<string>();
  ws.addEventListener('message', (e) => {
    kinds.add(typeof e.data === 'string' ? 'text' : 'binary');
    chunks.push(typeof e.data === 'string' ? Buffer.from(e.data) : Buffer.from(e.data as ArrayBuffer));
  });
  const closed = new Promise<number>((res) => ws.addEventListener('close', (e) => res(e.code)));
  const opened = new Promise<void>((res, rej) => {
    ws.addEventListener('open', () => res());
    ws.addEventListener('error', () => rej(new Error('websocket failed')));
  });
  return { ws, received: () => Buffer.concat(chunks).toString(), closed, opened, kinds };
}

test('attach/ws: the client\'s messages are stdin, stdout comes back in binary messages', async () => {
  const id = (await d.docker(['run', '-d', '-i', 'busybox', 'sh', '-c', 'while read l; do echo "got $l"; echo "err $l" >&2; done'])).stdout.trim();
  assert.match(id, /^[a-f0-9]{64}$/);
  const c = connect(`/v1.43/containers/${id}/attach/ws?stream=1&stdin=1&stdout=1&stderr=1`);
  await c.opened;
  c.ws.send('hello\n');
  c.ws.send(new TextEncoder().encode('second\n'));
  // Not multiplexed: stdout and stderr arrive as the bytes the container wrote.
  await eventually(async () => /got hello\n/.test(c.received()) && /err second\n/.test(c.received()), 10_000, 'echoed input');
  assert.doesNotMatch(c.received(), /[\x01\x02]\x00\x00\x00/);
  assert.deepEqual([...c.kinds], ['binary']);
  c.ws.close();
  await c.closed;
  // Closing the socket detaches; the container runs on.
  const state = await d.docker(['inspect', '--format', '{{.State.Running}}', id]);
  assert.equal(state.stdout.trim(), 'true');
  assert.equal((await d.docker(['rm', '-f', id])).code, 0);
});

test('attach/ws to a TTY container: keystrokes in, the terminal\'s bytes out', async () => {
  const id = (await d.docker(['run', '-dit', 'busybox', 'sh'])).stdout.trim();
  const c = connect(`/containers/${id}/attach/ws?stream=1&stdin=1&stdout=1&stderr=1`);
  await c.opened;
  c.ws.send('echo tty-$((40+2))\r');
  await eventually(async () => /tty-42/.test(c.received()), 10_000, 'the shell to answer');
  c.ws.close();
  await c.closed;
  assert.equal((await d.docker(['inspect', '--format', '{{.State.Running}}', id])).stdout.trim(), 'true');
  assert.equal((await d.docker(['rm', '-f', id])).code, 0);
});

test('attach/ws with logs=1&stream=0 sends the log so far and closes; stdout only when asked', async () => {
  const id = (await d.docker(['run', '-d', 'busybox', 'sh', '-c', 'echo out; echo err >&2'])).stdout.trim();
  assert.equal((await d.docker(['wait', id])).stdout.trim(), '0');
  const both = connect(`/containers/${id}/attach/ws?logs=1&stream=0&stdout=1&stderr=1`);
  await both.closed;
  assert.deepEqual(both.received().split('\n').filter(Boolean).sort(), ['err', 'out']);
  const out = connect(`/containers/${id}/attach/ws?logs=1&stream=0&stdout=1`);
  await out.closed;
  assert.equal(out.received(), 'out\n');
  // Before API 1.28 dockerd sent text messages.
  const old = connect(`/v1.27/containers/${id}/attach/ws?logs=1&stream=0&stdout=1`);
  await old.closed;
  assert.equal(old.received(), 'out\n');
  assert.deepEqual([...old.kinds], ['text']);
});

test('attach/ws to a missing container is refused before the upgrade, and a plain GET is a 400', async () => {
  const c = connect('/containers/nosuchthing/attach/ws?stream=1&stdout=1');
  await assert.rejects(c.opened);
  const id = (await d.docker(['create', 'busybox', 'true'])).stdout.trim();
  const plain = await d.api('GET', `/containers/${id}/attach/ws?stream=1`);
  assert.equal(plain.status, 400, plain.body);
  assert.match(plain.body, /WebSocket/);
  const missing = await d.api('GET', '/containers/nosuchthing/attach/ws');
  assert.equal(missing.status, 404, missing.body);
});
