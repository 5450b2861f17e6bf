import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
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

test('access rules (YAML config, Basic auth): alice pushes team/*, everyone pulls, others are DENIED with 403, no credentials get 401', async () => {
  await makeHtpasswd(join(dir, 'bob'), 'bob', 'hunter2');
  const users = join(dir, 'htpasswd-two');
  await writeFile(users, (await readFile(htpasswd, 'utf8')) + (await readFile(join(dir, 'bob'), 'utf8')));
  const config = join(dir, 'access.yml');
  await writeFile(
    config,
    `# distribution-style keys and berth's access rules side by side
auth:
  htpasswd:
    realm: team registry
    path: ${users}
  access:
    - user: alice
      repos: team/*
      actions: [pull, push]
    - { user: "*", repos: "*", actions: [pull] }
`,
  );
  const server = await startBerthRegistry({ args: ['--config', config] });
  const basic = (u: string, p: string): Record<string, string> => ({ Authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
  const code = async (r: Response): Promise<string> => ((await r.json()) as { errors: { code: string }[] }).errors[0]?.code ?? '';
  try {
    const anon = await fetch(`${server.url}/v2/team/app/tags/list`);
    assert.equal(anon.status, 401);
    assert.equal(anon.headers.get('www-authenticate'), 'Basic realm="team registry"');
    await run('skopeo', ['copy', '--dest-tls-verify=false', '--dest-creds', 'alice:s3cret', `oci:${layout}:v1`, `docker://${server.host}/team/app:v1`]);
    await assert.rejects(run('skopeo', ['copy', '--dest-tls-verify=false', '--dest-creds', 'bob:hunter2', `oci:${layout}:v1`, `docker://${server.host}/team/app:v2`]), /denied/i);
    const bobPush = await fetch(`${server.url}/v2/team/app/blobs/uploads/`, { method: 'POST', headers: basic('bob', 'hunter2') });
    assert.equal(bobPush.status, 403);
    assert.equal(await code(bobPush), 'DENIED');
    const { stdout } = await run('skopeo', ['list-tags', '--tls-verify=false', '--creds', 'bob:hunter2', `docker://${server.host}/team/app`]);
    assert.deepEqual((JSON.parse(stdout) as { Tags: string[] }).Tags, ['v1'], 'bob may pull');
    const outside = await fetch(`${server.url}/v2/other/app/blobs/uploads/`, { method: 'POST', headers: basic('alice', 's3cret') });
    assert.equal(outside.status, 403, 'alice may push only under team/');
    const del = await fetch(`${server.url}/v2/team/app/manifests/v1`, { method: 'DELETE', headers: basic('alice', 's3cret') });
    assert.equal(del.status, 403, 'nobody was given delete');
    assert.equal((await fetch(`${server.url}/v2/_catalog`, { headers: basic('bob', 'hunter2') })).status, 200, 'pull on * includes the catalog');
    assert.equal((await fetch(`${server.url}/v2/team/app/tags/list`, { headers: basic('bob', 'wrong') })).status, 401);
  } finally {
    await server.cleanup();
  }
});

test('access rules with bearer tokens: a token names only what the rules allow; a user without the right gets 403', async () => {
  await makeHtpasswd(join(dir, 'bob'), 'bob', 'hunter2');
  const users = join(dir, 'htpasswd-two');
  await writeFile(users, (await readFile(htpasswd, 'utf8')) + (await readFile(join(dir, 'bob'), 'utf8')));
  const server = await startBerthRegistry({ args: ['--htpasswd', users, '--auth', 'token', '--access', 'alice:team/*:pull,push', '--access', 'bob:team/app:pull'] });
  const token = async (u: string, p: string, scope: string): Promise<{ token: string; access: unknown }> => {
    const r = await fetch(`${server.url}/token?service=berth-registry&scope=${encodeURIComponent(scope)}`, { headers: { Authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` } });
    assert.equal(r.status, 200);
    const { token } = (await r.json()) as { token: string };
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { access: unknown };
    return { token, access: claims.access };
  };
  try {
    assert.deepEqual((await token('alice', 's3cret', 'repository:team/app:pull,push')).access, [{ type: 'repository', name: 'team/app', actions: ['pull', 'push'] }]);
    const bob = await token('bob', 'hunter2', 'repository:team/app:pull,push');
    assert.deepEqual(bob.access, [{ type: 'repository', name: 'team/app', actions: ['pull'] }]);
    assert.deepEqual((await token('bob', 'hunter2', 'repository:team/other:pull')).access, []);
    await run('skopeo', ['copy', '--dest-tls-verify=false', '--dest-creds', 'alice:s3cret', `oci:${layout}:v1`, `docker://${server.host}/team/app:v1`]);
    const push = await fetch(`${server.url}/v2/team/app/blobs/uploads/`, { method: 'POST', headers: { Authorization: `Bearer ${bob.token}` } });
    assert.equal(push.status, 403);
    assert.equal(((await push.json()) as { errors: { code: string }[] }).errors[0]?.code, 'DENIED');
    await assert.rejects(run('skopeo', ['copy', '--dest-tls-verify=false', '--dest-creds', 'bob:hunter2', `oci:${layout}:v1`, `docker://${server.host}/team/app:v2`]), /denied|unauthorized/i);
    const { stdout } = await run('skopeo', ['inspect', '--raw', '--tls-verify=false', '--creds', 'bob:hunter2', `docker://${server.host}/team/app:v1`]);
    assert.match(stdout, /schemaVersion/);
    const anon = await fetch(`${server.url}/v2/team/app/tags/list`);
    assert.equal(anon.status, 401);
    assert.match(anon.headers.get('www-authenticate') ?? '', /^Bearer realm=/);
  } finally {
    await server.cleanup();
  }
});
