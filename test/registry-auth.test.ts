import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeHtpasswd, makeOciLayout, startBerthRegistry } from './registry-servers.js';

const run = promisify(execFile);
let dir: string;
let htpasswd: string;
let layout: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-registry-auth-'));
  htpasswd = await makeHtpasswd(join(dir, 'htpasswd'), 'alice', 's3cret');
  layout = await makeOciLayout(join(dir, 'layout'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('htpasswd Basic auth: 401 with a challenge, skopeo pushes with credentials, a wrong password is refused', async () => {
  const server = await startBerthRegistry({ args: ['--htpasswd', htpasswd] });
  try {
    const r = await fetch(`${server.url}/v2/`);
    assert.equal(r.status, 401);
    assert.equal(r.headers.get('www-authenticate'), 'Basic realm="berth-registry"');
    assert.equal(((await r.json()) as { errors: { code: string }[] }).errors[0]?.code, 'UNAUTHORIZED');
    const auth = `Basic ${Buffer.from('alice:s3cret').toString('base64')}`;
    assert.equal((await fetch(`${server.url}/v2/`, { headers: { Authorization: auth } })).status, 200);
    await run('skopeo', ['copy', '--dest-tls-verify=false', '--dest-creds', 'alice:s3cret', `oci:${layout}:v1`, `docker://${server.host}/private/img:v1`]);
    await assert.rejects(run('skopeo', ['inspect', '--tls-verify=false', '--creds', 'alice:wrong', `docker://${server.host}/private/img:v1`]), /unauthorized|authentication required/i);
    const { stdout } = await run('skopeo', ['list-tags', '--tls-verify=false', '--creds', 'alice:s3cret', `docker://${server.host}/private/img`]);
    assert.deepEqual((JSON.parse(stdout) as { Tags: string[] }).Tags, ['v1']);
  } finally {
    await server.cleanup();
  }
});

test('bearer tokens: the registry issues scoped ES256 tokens; skopeo follows the token flow; a pull token cannot push', async () => {
  const server = await startBerthRegistry({ args: ['--htpasswd', htpasswd, '--auth', 'token'] });
  try {
    const r = await fetch(`${server.url}/v2/private/img/tags/list`);
    assert.equal(r.status, 401);
    assert.equal(r.headers.get('www-authenticate'), `Bearer realm="http://${server.host}/token",service="berth-registry",scope="repository:private/img:pull"`);
    await run('skopeo', ['copy', '--dest-tls-verify=false', '--dest-creds', 'alice:s3cret', `oci:${layout}:v1`, `docker://${server.host}/private/img:v1`]);
    const basic = `Basic ${Buffer.from('alice:s3cret').toString('base64')}`;
    const tok = (await (await fetch(`${server.url}/token?service=berth-registry&scope=repository:private/img:pull`, { headers: { Authorization: basic } })).json()) as { token: string };
    const bearer = { Authorization: `Bearer ${tok.token}` };
    const tags = await fetch(`${server.url}/v2/private/img/tags/list`, { headers: bearer });
    assert.equal(tags.status, 200);
    const push = await fetch(`${server.url}/v2/private/img/blobs/uploads/`, { method: 'POST', headers: bearer });
    assert.equal(push.status, 401);
    assert.match(push.headers.get('www-authenticate') ?? '', /error="insufficient_scope"/);
    const other = await fetch(`${server.url}/v2/other/tags/list`, { headers: bearer });
    assert.equal(other.status, 401);
    const forged = tok.token.slice(0, -4) + (tok.token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    assert.equal((await fetch(`${server.url}/v2/private/img/tags/list`, { headers: { Authorization: `Bearer ${forged}` } })).status, 401);
    const bad = await fetch(`${server.url}/token?service=berth-registry&scope=repository:private/img:pull`, { headers: { Authorization: `Basic ${Buffer.from('alice:nope').toString('base64')}` } });
    assert.equal(bad.status, 401);
  } finally {
    await server.cleanup();
  }
});

test('read-only mode serves pulls and refuses pushes and deletes with UNSUPPORTED', async () => {
  const server = await startBerthRegistry({ args: ['--read-only'] });
  try {
    assert.equal((await fetch(`${server.url}/v2/`)).status, 200);
    const r = await fetch(`${server.url}/v2/ro/blobs/uploads/`, { method: 'POST' });
    assert.equal(r.status, 405);
    assert.equal(((await r.json()) as { errors: { code: string }[] }).errors[0]?.code, 'UNSUPPORTED');
    assert.equal((await fetch(`${server.url}/v2/ro/manifests/sha256:${'0'.repeat(64)}`, { method: 'DELETE' })).status, 405);
  } finally {
    await server.cleanup();
  }
});

test('TLS: serves HTTPS with the given certificate; skopeo verifies it with the CA', async () => {
  const certs = join(dir, 'certs');
  await mkdir(certs, { recursive: true });
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(certs, 'registry.key'), '-out', join(certs, 'ca.crt')]);
  const server = await startBerthRegistry({ args: ['--tls-cert', join(certs, 'ca.crt'), '--tls-key', join(certs, 'registry.key')] });
  try {
    assert.ok(server.url.startsWith('https://'));
    const trust = join(dir, 'trust');
    await mkdir(trust, { recursive: true });
    await copyFile(join(certs, 'ca.crt'), join(trust, 'ca.crt'));
    await run('skopeo', ['copy', '--dest-cert-dir', trust, `oci:${layout}:v1`, `docker://${server.host}/tls/img:v1`]);
    const { stdout } = await run('skopeo', ['inspect', '--raw', '--cert-dir', trust, `docker://${server.host}/tls/img:v1`]);
    assert.match(stdout, /application\/vnd.oci.image.manifest.v1\+json/);
    await assert.rejects(run('skopeo', ['inspect', '--raw', `docker://${server.host}/tls/img:v1`]), /certificate/i, 'an unknown CA is refused');
  } finally {
    await server.cleanup();
  }
});
