import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestDaemon, useBusyboxDaemon } from './helpers/daemon.js';

/*
 * docker run --annotation (HostConfig.Annotations, API 1.43+): the annotations reach the OCI
 * runtime spec runc is given, and inspect shows them; the docker CLI and berth's CLI alike.
 */
let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

for (const cli of ['docker', 'berth'] as const) {
  test(`${cli} run --annotation: in the runtime spec and in inspect; a bad one is refused`, async () => {
    const run = (args: string[]) => (cli === 'docker' ? d.docker(args) : d.berth(args));
    const r = await run(['create', '--name', `ann-${cli}`, '--annotation', 'org.example.role=web', '--annotation', 'org.example.empty=', 'busybox', 'sleep', '30']);
    assert.equal(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    const shown = JSON.parse((await d.docker(['inspect', '--format', '{{json .HostConfig.Annotations}}', id])).stdout) as Record<string, string>;
    assert.deepEqual(shown, { 'org.example.role': 'web', 'org.example.empty': '' });
    assert.equal((await run(['start', id])).code, 0);
    const spec = JSON.parse(readFileSync(join(d.dataRoot, 'containers', id, 'config.json'), 'utf8')) as { annotations?: Record<string, string> };
    assert.equal(spec.annotations?.['org.example.role'], 'web');
    assert.equal(spec.annotations?.['org.example.empty'], '');
    assert.equal((await run(['rm', '-f', id])).code, 0);
    const none = await d.docker(['create', 'busybox', 'true']);
    assert.equal((await d.docker(['inspect', '--format', '{{json .HostConfig.Annotations}}', none.stdout.trim()])).stdout.trim(), 'null', 'none given, none shown');
    await d.docker(['rm', none.stdout.trim()]);
  });
}

test('an Annotations field that is not an object of strings is a 400 naming it', async () => {
  const bad = await d.api('POST', '/containers/create', { Image: 'busybox', HostConfig: { Annotations: { '': 'x' } } });
  assert.equal(bad.status, 400);
  assert.match((bad.json as { message: string }).message, /the empty string is not permitted as an annotation key/);
  const num = await d.api('POST', '/containers/create', { Image: 'busybox', HostConfig: { Annotations: { a: 1 } } });
  assert.equal(num.status, 400);
  assert.equal((num.json as { message: string }).message, 'invalid Annotations: the value of "a" must be a string');
});
