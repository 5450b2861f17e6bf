import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeHtpasswd, makeOciLayout, startBerthRegistry, type RunningServer } from './registry-servers.js';

const run = promisify(execFile);

test('pull-through cache: fetches through a token-protected upstream, refuses pushes, serves the cache when the upstream is gone', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-registry-proxy-'));
  let upstream: RunningServer | undefined;
  let mirror: RunningServer | undefined;
  try {
    const htpasswd = await makeHtpasswd(join(dir, 'htpasswd'), 'alice', 's3cret');
    const layout = await makeOciLayout(join(dir, 'layout'));
    upstream = await startBerthRegistry({ args: ['--htpasswd', htpasswd, '--auth', 'token'] });
    await run('skopeo', ['copy', '--dest-tls-verify=false', '--dest-creds', 'alice:s3cret', `oci:${layout}:v1`, `docker://${upstream.host}/lib/img:v1`]);
    mirror = await startBerthRegistry({ args: ['--proxy-remote', `up=http://alice:s3cret@${upstream.host}`] });

    const out1 = join(dir, 'out1');
    await run('skopeo', ['copy', '--src-tls-verify=false', `docker://${mirror.host}/up/lib/img:v1`, `oci:${out1}:v1`]);
    assert.equal((await readdir(join(out1, 'blobs/sha256'))).length, 3);

    // Mirrored repositories are read-only; others are an ordinary registry.
    const push = await fetch(`${mirror.url}/v2/up/lib/img/blobs/uploads/`, { method: 'POST' });
    assert.equal(push.status, 405);
    await run('skopeo', ['copy', '--dest-tls-verify=false', `oci:${layout}:v1`, `docker://${mirror.host}/local/img:v1`]);

    await upstream.stop();
    const out2 = join(dir, 'out2');
    await run('skopeo', ['copy', '--src-tls-verify=false', `docker://${mirror.host}/up/lib/img:v1`, `oci:${out2}:v1`]);
    assert.deepEqual((await readdir(join(out2, 'blobs/sha256'))).sort(), (await readdir(join(out1, 'blobs/sha256'))).sort());
    const missing = await fetch(`${mirror.url}/v2/up/lib/img/manifests/never-pulled`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { errors: { code: string }[] }).errors[0]?.code, 'MANIFEST_UNKNOWN');
  } finally {
    await mirror?.cleanup();
    await upstream?.cleanup();
    await rm(dir, { recursive: true, force: true });
  }
});
