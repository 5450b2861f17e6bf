import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { TestDaemon } from './helpers/daemon.js';

let d: TestDaemon;
before(async () => {
  d = await TestDaemon.start();
  await d.makeBusyboxImage();
});
after(async () => {
  await d?.cleanup();
});

function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = request({ socketPath: d.socket, method, path, headers: data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode ?? 0, json: text.trim() ? (JSON.parse(text) as unknown) : null });
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** The Seccomp: line of /proc/self/status: 0 = no filter, 2 = filter. */
const SECCOMP_MODE = 'grep "^Seccomp:" /proc/self/status | cut -f2';

test('default profile: ordinary work runs, namespace and mount calls fail with EPERM', async () => {
  const script = [
    SECCOMP_MODE,
    'ls / >/dev/null && date >/dev/null && mkdir /tmp/a && echo hi > /tmp/a/f && cat /tmp/a/f && rm -r /tmp/a',
    '(sleep 0 & wait) && echo forked',
    'unshare -U true 2>&1; echo "unshare-U=$?"',
    'unshare -m true 2>&1; echo "unshare-m=$?"',
    'mount -t tmpfs none /mnt 2>&1; echo "mount=$?"',
    'swapoff -a 2>&1; echo "swapoff=$?"',
  ].join('\n');
  const r = await d.docker(['run', '--rm', 'busybox', 'sh', '-c', script]);
  assert.equal(r.code, 0, r.stderr);
  const out = r.stdout;
  assert.match(out, /^2\n/, 'a filter is installed');
  assert.match(out, /^hi$/m);
  assert.match(out, /^forked$/m);
  assert.match(out, /unshare: unshare\(0x10000000\): Operation not permitted\nunshare-U=1/);
  assert.match(out, /unshare: unshare\(0x20000\): Operation not permitted\nunshare-m=1/);
  assert.match(out, /mount: mounting none on \/mnt failed: Operation not permitted\nmount=255/);
  assert.match(out, /swapoff=1/);
});
