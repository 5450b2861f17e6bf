import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Conflict, NotFound } from '../../errdefs/index.js';
import type { BuildService, ContainerService, EventBus, FilesystemService, HistoryRow, ImageService } from '../../services/index.js';
import type { EngineDeps } from './deps.js';
import { createEngineServer } from './engine.js';

/*
 * The Engine API's router and handlers in process, on fake backends: status codes, headers and
 * body shapes as the docker CLI and the SDKs read them, without runc or a data root.
 */

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json: unknown;
}

function fakeDeps(over: { images?: Partial<ImageService>; containers?: Partial<ContainerService>; builds?: Partial<BuildService> } = {}): EngineDeps {
  const containers = {
    list: () => [],
    get: (id: string) => {
      throw new NotFound(`No such container: ${id}`);
    },
    ...over.containers,
  };
  return {
    containers: containers as unknown as ContainerService,
    images: { ...over.images } as unknown as ImageService,
    fs: {} as unknown as FilesystemService,
    builds: { ...over.builds } as unknown as BuildService,
    bus: {} as unknown as EventBus,
    system: {
      id: 'fake',
      name: 'host',
      version: '0.0.0-test',
      apiVersion: '1.47',
      minApiVersion: '1.24',
      dataRoot: '/nowhere',
      driver: 'overlay',
      runtimePath: 'runc',
      components: Promise.resolve([]),
      kernelVersion: '6.0',
      operatingSystem: 'Test',
      cgroupVersion: '1',
    },
    inspectPaths: () => ({ dir: '', logPath: '', rootfs: '', upper: '', lowers: [] }),
    layerPath: () => '',
    log: () => undefined,
  } as unknown as EngineDeps;
}

async function withServer(deps: EngineDeps, fn: (call: (method: string, path: string, body?: string) => Promise<Reply>) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-handlers-'));
  const socketPath = join(dir, 's.sock');
  const server = createEngineServer(deps);
  await server.listen(socketPath);
  const call = (method: string, path: string, body?: string): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const req = request({ socketPath, method, path, headers: body !== undefined ? { 'Content-Type': 'application/json' } : {} }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let json: unknown = null;
          try {
            json = text ? (JSON.parse(text) as unknown) : null;
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json });
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  try {
    await fn(call);
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

test('ping answers OK with the headers the docker CLI negotiates with', () =>
  withServer(fakeDeps(), async (call) => {
    const r = await call('GET', '/_ping');
    assert.equal(r.status, 200);
    assert.equal(r.body, 'OK');
    assert.equal(r.headers['api-version'], '1.47');
    assert.equal(r.headers['ostype'], 'linux');
  }));

test('an API version outside 1.24–1.47 is refused with dockerd\'s words; a missing object is a 404 with its message', () =>
  withServer(fakeDeps(), async (call) => {
    const tooNew = await call('GET', '/v1.99/containers/json');
    assert.equal(tooNew.status, 400);
    assert.match((tooNew.json as { message: string }).message, /client version 1\.99 is too new\. Maximum supported API version is 1\.47/);
    const tooOld = await call('GET', '/v1.12/containers/json');
    assert.equal(tooOld.status, 400);
    const missing = await call('GET', '/v1.45/containers/nope/json');
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json, { message: 'No such container: nope' });
    assert.match(String(missing.headers['content-type']), /application\/json/);
  }));

test('a service error class sets the status: Conflict is 409', () =>
  withServer(
    fakeDeps({
      containers: {
        list: () => [],
        get: () => {
          throw new Conflict('You cannot remove a running container x');
        },
      },
    }),
    async (call) => {
      const r = await call('GET', '/containers/x/json');
      assert.equal(r.status, 409);
      assert.deepEqual(r.json, { message: 'You cannot remove a running container x' });
    },
  ));

test("image history: berth's rows in Docker's shape (Tags null when none)", () => {
  const rows: HistoryRow[] = [
    { id: 'sha256:abc', created: 1700000000, createdBy: 'CMD ["sh"]', tags: ['busybox:latest'], size: 0, comment: '' },
    { id: '<missing>', created: 1690000000, createdBy: 'ADD rootfs', tags: [], size: 1234, comment: 'imported' },
  ];
  return withServer(fakeDeps({ images: { history: async () => rows } }), async (call) => {
    const r = await call('GET', '/images/busybox/history');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, [
      { Id: 'sha256:abc', Created: 1700000000, CreatedBy: 'CMD ["sh"]', Tags: ['busybox:latest'], Size: 0, Comment: '' },
      { Id: '<missing>', Created: 1690000000, CreatedBy: 'ADD rootfs', Tags: null, Size: 1234, Comment: 'imported' },
    ]);
  });
});

test('build prune: what berth cannot honour is refused before anything is removed', () => {
  let pruned = 0;
  const builds = { prune: async () => ((pruned += 1), { deleted: ['c1'], spaceReclaimed: 7 }) };
  return withServer(fakeDeps({ builds }), async (call) => {
    const f = await call('POST', `/build/prune?filters=${encodeURIComponent(JSON.stringify({ until: ['24h'] }))}`);
    assert.equal(f.status, 501);
    assert.match((f.json as { message: string }).message, /filters are not supported by berth: until/);
    const k = await call('POST', '/build/prune?keep-storage=1000');
    assert.equal(k.status, 501);
    assert.equal(pruned, 0);
    const ok = await call('POST', '/build/prune?keep-storage=0&filters=');
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.json, { CachesDeleted: ['c1'], SpaceReclaimed: 7 });
    assert.equal(pruned, 1);
  });
});

test('a create body that is not JSON is a 400 naming the problem, not a 500', () =>
  withServer(fakeDeps(), async (call) => {
    const r = await call('POST', '/containers/create', '{"Image": ');
    assert.equal(r.status, 400);
    assert.ok((r.json as { message?: string }).message, r.body);
    assert.doesNotMatch(r.body, /at .*\.js|SyntaxError: Unexpected/);
  }));

test('plugins: none listed, a named one not found as dockerd says, installing refused; a BuildKit session refused', () =>
  withServer(fakeDeps(), async (call) => {
    const list = await call('GET', '/plugins');
    assert.equal(list.status, 200);
    assert.deepEqual(list.json, []);
    const one = await call('GET', '/plugins/vieux/sshfs:latest/json');
    assert.equal(one.status, 404);
    assert.deepEqual(one.json, { message: 'plugin "vieux/sshfs:latest" not found' });
    assert.equal((await call('POST', '/plugins/pull?remote=vieux/sshfs')).status, 501);
    assert.equal((await call('DELETE', '/plugins/x')).status, 404);
    const session = await call('POST', '/session');
    assert.equal(session.status, 501);
    assert.match((session.json as { message: string }).message, /BuildKit sessions are not supported/);
  }));
