import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
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

/** A build context directory with these files. */
function context(name: string, files: Record<string, string>): string {
  const dir = join(d.dir, name);
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return dir;
}

test('docker build (legacy builder): steps, files, env, user, workdir and cmd of the built image', async () => {
  const ctx = context('basic', {
    Dockerfile: [
      'FROM busybox',
      'ENV GREETING="hello world" TARGET=/srv',
      'WORKDIR $TARGET/app',
      'COPY hello.txt ./',
      'COPY dir/ /data/',
      'RUN echo "built by $(id -u)" > /built && mkdir -p /home/u && chown 1000 /home/u',
      'USER 1000',
      'CMD ["sh", "-c", "echo $GREETING; pwd; id -u; cat hello.txt /built; ls /data"]',
    ].join('\n'),
    'hello.txt': 'hi from the context\n',
    'dir/a.txt': 'a\n',
    'dir/sub/b.txt': 'b\n',
  });
  const b = await d.docker(['build', '-t', 'basic', ctx]);
  assert.equal(b.code, 0, b.stderr + b.stdout);
  assert.match(b.stdout, /^Step 1\/8 : FROM busybox$/m);
  assert.match(b.stdout, /^Step 6\/8 : RUN echo/m);
  assert.match(b.stdout, /^ ---> Running in [0-9a-f]{12}$/m);
  assert.match(b.stdout, /^Successfully built [0-9a-f]{12}$/m);
  assert.match(b.stdout, /^Successfully tagged basic:latest$/m);
  const r = await d.docker(['run', '--rm', 'basic']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'hello world\n/srv/app\n1000\nhi from the context\nbuilt by 0\na.txt\nsub\n');
});
