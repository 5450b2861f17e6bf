import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RegistryClient } from './client.js';
import { RegistryHosts } from './hosts.js';
import { Remote } from './remote.js';

const sha = (b: Buffer): `sha256:${string}` => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function serve(handler: (req: IncomingMessage, res: ServerResponse, origin: string) => void): Promise<{ server: Server; host: string }> {
  let origin = '';
  const server = createServer((req, res) => handler(req, res, origin));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  origin = `http://${host}`;
  return { server, host };
}

const close = (s: Server): Promise<void> => new Promise((r) => s.close(() => r()));

test('bearer challenge: token fetched with basic credentials once per scope, then cached', async (t) => {
  const manifest = Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{},"layers":[]}');
  let tokenRequests = 0;
  const { server, host } = await serve((req, res, origin) => {
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname === '/token') {
      tokenRequests++;
      const ok = req.headers.authorization === `Basic ${Buffer.from('bob:pw').toString('base64')}`;
      assert.equal(url.searchParams.get('service'), 'fake');
      assert.equal(url.searchParams.get('scope'), 'repository:team/app:pull');
      return ok ? res.writeHead(200).end(JSON.stringify({ token: 'tok-1', expires_in: 300 })) : res.writeHead(401).end();
    }
    if (req.headers.authorization !== 'Bearer tok-1') {
      return res
        .writeHead(401, { 'www-authenticate': `Bearer realm="${origin}/token",service="fake",scope="repository:team/app:pull"` })
        .end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
    }
    if (url.pathname === '/v2/team/app/manifests/1') return res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }).end(manifest);
    return res.writeHead(404).end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}');
  });
  t.after(() => close(server));
  const client = new RegistryClient({ credentials: (h) => Promise.resolve(h === host ? { username: 'bob', password: 'pw' } : undefined) });
  t.after(() => client.close());
  const remote = new Remote(client, new RegistryHosts());
  const repo = { domain: host, path: 'team/app' };
  const a = await remote.resolve(repo, '1');
  assert.equal(a.descriptor.digest, sha(manifest));
  assert.equal(a.descriptor.mediaType, 'application/vnd.oci.image.manifest.v1+json');
  await remote.resolve(repo, '1');
  assert.equal(tokenRequests, 1, 'the token is cached');
  await assert.rejects(remote.resolve(repo, '2'), /manifest for 127\.0\.0\.1:\d+\/team\/app:2 not found: manifest unknown: manifest unknown/);

  const anon = new Remote(new RegistryClient(), new RegistryHosts());
  await assert.rejects(anon.resolve(repo, '1'), /unauthorized|incorrect username or password/i);
});

test('a mirror that lacks the image falls back to the origin; a working mirror serves it', async (t) => {
  const manifest = Buffer.from('{"schemaVersion":2,"config":{},"layers":[]}');
  const hits: string[] = [];
  const mk = (name: string, has: boolean) =>
    serve((req, res) => {
      hits.push(`${name} ${req.url}`);
      if (has && req.url === '/v2/library/x/manifests/latest') return res.writeHead(200, { 'content-type': 'application/json' }).end(manifest);
      return res.writeHead(404).end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}');
    });
  const empty = await mk('empty', false);
  const full = await mk('full', true);
  t.after(() => Promise.all([close(empty.server), close(full.server)]));
  const client = new RegistryClient();
  t.after(() => client.close());
  // Pretend "full" is the origin of a domain that has "empty" as its mirror.
  const remote = new Remote(client, new RegistryHosts({ mirrors: { [full.host]: [`http://${empty.host}`] } }));
  const r = await remote.resolve({ domain: full.host, path: 'library/x' }, 'latest');
  assert.equal(r.descriptor.digest, sha(manifest));
  assert.equal(r.descriptor.mediaType, 'application/vnd.oci.image.manifest.v1+json', 'media type from the manifest shape when the server says application/json');
  assert.deepEqual(hits, ['empty /v2/library/x/manifests/latest', 'full /v2/library/x/manifests/latest']);
});
