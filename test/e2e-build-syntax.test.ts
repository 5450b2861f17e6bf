import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { TestDaemon, useBusyboxDaemon } from './helpers/daemon.js';
import { writeTree } from './helpers/busybox.js';

// A certificate for an https server of the test, trusted by the test's berthd (it inherits the variable).
const tls = mkdtempSync(join(tmpdir(), 'berth-tls-'));
execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(tls, 'key.pem'), '-out', join(tls, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:files.berth.test,DNS:localhost'], { stdio: 'ignore' });
process.env['NODE_EXTRA_CA_CERTS'] = join(tls, 'cert.pem');
after(() => rmSync(tls, { recursive: true, force: true }));

let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

const context = (name: string, files: Record<string, string>): string => writeTree(join(d.dir, name), files);
const hostArch = process.arch === 'arm64' ? 'arm64' : 'amd64';
const foreignArch = hostArch === 'amd64' ? 'arm64' : 'amd64';

/** Builds with the docker CLI (the legacy POST /build) and runs `cmd` in the image. */
async function buildAndRun(name: string, files: Record<string, string>, cmd: string[], args: string[] = []): Promise<string> {
  const b = await d.docker(['build', ...args, '-t', name, context(name, files)]);
  assert.equal(b.code, 0, b.stderr + b.stdout);
  const r = await d.docker(['run', '--rm', name, ...cmd]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

/** A build that must fail: its stderr. */
async function buildFails(name: string, files: Record<string, string>, args: string[] = []): Promise<string> {
  const b = await d.docker(['build', ...args, context(name, files)]);
  assert.notEqual(b.code, 0, b.stdout);
  return b.stderr;
}

const servers: Server[] = [];
after(() => {
  for (const s of servers) s.close();
});

async function listen(handler: Parameters<typeof createServer>[1]): Promise<number> {
  const s = createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as AddressInfo).port;
}

test('parser directives: # syntax=docker/dockerfile:1 family and # check accepted, another frontend refused', async () => {
  const out = await buildAndRun('syn', { Dockerfile: '# syntax=docker/dockerfile:1.7\n# check=skip=JSONArgsRecommended\nFROM busybox\nRUN echo ok > /ok\n' }, ['cat', '/ok']);
  assert.equal(out, 'ok\n');
  const err = await buildFails('syn-other', { Dockerfile: '# syntax=example.com/frontend/custom:1\nFROM busybox\n' });
  assert.match(err, /unsupported syntax directive "example.com\/frontend\/custom:1".*does not run frontend images/);
  const esc = await buildAndRun('syn-esc', { Dockerfile: '# escape=`\nFROM busybox\nRUN echo a `\n  b > /e\n' }, ['cat', '/e']);
  assert.equal(esc, 'a b\n');
});

test('RUN here-documents: a script, a #! script file, <<- tabs, cat <<EOF > file, several in one RUN', async () => {
  const files = {
    Dockerfile: [
      '# syntax=docker/dockerfile:1',
      'FROM busybox',
      'ARG WHO=world',
      'RUN <<EOF',
      'echo one > /one',
      'echo "hello $WHO" >> /one',
      'EOF',
      'RUN <<EOF',
      '#!/bin/sh -e',
      'echo "script $0" > /script',
      'test -x "$0"',
      'EOF',
      'RUN cat <<-EOT > /tabs',
      '\tindented $WHO',
      '\tEOT',
      "RUN cat <<A > /a && cat <<'B' > /b",
      'first $WHO',
      'A',
      'second $WHO',
      'B',
    ].join('\n'),
  };
  const out = await buildAndRun('heredoc-run', files, ['cat', '/one', '/script', '/tabs', '/a', '/b']);
  assert.equal(out, 'one\nhello world\nscript /dev/pipes/EOF\nindented world\nfirst world\nsecond $WHO\n');
  // The script file was mounted for the step only.
  assert.notEqual((await d.docker(['run', '--rm', 'heredoc-run', 'ls', '/dev/pipes'])).code, 0);
  // A changed heredoc body is a changed step (not served from the cache).
  const changed = await d.docker(['build', '-t', 'heredoc-run', context('heredoc-run2', { Dockerfile: files.Dockerfile.replace('script $0', 'changed $0') })]);
  assert.equal(changed.code, 0, changed.stderr);
  assert.match((await d.docker(['run', '--rm', 'heredoc-run', 'cat', '/script'])).stdout, /^changed \/dev\/pipes\/EOF$/m);
});

test('COPY here-documents: unquoted delimiters expand, quoted do not, --chmod and --chown, several into a directory', async () => {
  const files = {
    Dockerfile: [
      'FROM busybox',
      'ARG NAME=berth',
      'ENV WHERE=/srv',
      'COPY --chmod=755 <<EOF /usr/local/bin/hello',
      '#!/bin/sh',
      'echo "hi from $NAME in ${WHERE}"',
      'EOF',
      "COPY --chown=1234:5678 <<'a' <<b /conf/",
      'raw $NAME',
      'a',
      'cooked $NAME',
      'b',
    ].join('\n'),
  };
  const out = await buildAndRun('heredoc-copy', files, ['sh', '-c', 'hello; stat -c "%a %u:%g %n" /usr/local/bin/hello /conf/a /conf/b; cat /conf/a /conf/b']);
  assert.equal(out, 'hi from berth in /srv\n755 0:0 /usr/local/bin/hello\n644 1234:5678 /conf/a\n644 1234:5678 /conf/b\nraw $NAME\ncooked berth\n');
});

test('Dockerfile errors name the file and line and show the instruction', async () => {
  const unterminated = await buildFails('err-heredoc', { Dockerfile: 'FROM busybox\nRUN true\nRUN <<EOF\necho never ends\n' });
  assert.match(unterminated, /Dockerfile:3/);
  assert.match(unterminated, /dockerfile parse error on line 3: unterminated heredoc/);
  assert.match(unterminated, /3 \| >>> RUN <<EOF/);
  const unknown = await buildFails('err-unknown', { Dockerfile: 'FROM busybox\n\nCOPYY a b\n' });
  assert.match(unknown, /Dockerfile:3\n/);
  assert.match(unknown, />>> COPYY a b/);
  assert.match(unknown, /line 3: unknown instruction: COPYY \(did you mean copy\?\)/);
  const flag = await buildFails('err-flag', { Dockerfile: 'FROM busybox\nCOPY --chmode=755 a /a\n' });
  assert.match(flag, /Dockerfile:2\n[\s\S]*>>> COPY --chmode=755 a \/a[\s\S]*line 2: unknown flag: chmode/);
  const value = await buildFails('err-value', { Dockerfile: 'FROM busybox\nRUN --network=bridge true\n' });
  assert.match(value, /line 2: unsupported network mode "bridge"/);
  const chmod = await buildFails('err-chmod', { Dockerfile: 'FROM busybox\nCOPY --chmod=rwx a /a\n', a: 'a' });
  assert.match(chmod, /Dockerfile:2\n[\s\S]*invalid chmod parameter "rwx"/);
  const missing = await buildFails('err-missing', { Dockerfile: 'FROM busybox\nRUN true\nCOPY nothing.txt /x\n' });
  assert.match(missing, /Dockerfile:3\n[\s\S]*>>> COPY nothing.txt \/x[\s\S]*COPY failed: file not found in build context/);
  assert.equal((await d.docker(['ps', '-aq'])).stdout, '');
});

test('COPY --parents (with the ./ pivot), COPY/ADD --exclude, COPY --link', async () => {
  const files = {
    Dockerfile: [
      'FROM busybox',
      'COPY --parents a/x.txt b/c/y.txt /p/',
      'COPY --parents ./src/./lib/z.txt /pivot/',
      'COPY --exclude=*.log --exclude=skip/ tree/ /ex/',
      'ADD --exclude=**/*.tmp tree /add/',
      'COPY --link tree/keep.txt /linked.txt',
    ].join('\n'),
    'a/x.txt': 'x\n',
    'b/c/y.txt': 'y\n',
    'src/lib/z.txt': 'z\n',
    'tree/keep.txt': 'keep\n',
    'tree/drop.log': 'drop\n',
    'tree/skip/inner.txt': 'inner\n',
    'tree/deep/more.tmp': 'tmp\n',
    'tree/deep/more.txt': 'more\n',
  };
  const out = await buildAndRun('copyopts', files, ['sh', '-c', 'cd / && find p pivot ex add linked.txt -type f | sort']);
  assert.equal(out, ['add/deep/more.txt', 'add/drop.log', 'add/keep.txt', 'add/skip/inner.txt', 'ex/deep/more.tmp', 'ex/deep/more.txt', 'ex/keep.txt', 'linked.txt', 'p/a/x.txt', 'p/b/c/y.txt', 'pivot/lib/z.txt', ''].join('\n'));
  // The same context builds from the cache: --link and the new flags keep the classic cache key.
  const again = await d.docker(['build', '-t', 'copyopts', context('copyopts', files)]);
  assert.equal(again.stdout.match(/Using cache/g)?.length, 5, again.stdout);
});

test('ADD of a URL: downloaded with Last-Modified as mtime, --checksum checked, through the build proxy; errors name the line', async () => {
  const body = 'served over http\n';
  const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
  const seen: string[] = [];
  const port = await listen((req, res) => {
    seen.push(req.url ?? '');
    if (req.url === '/files/data.txt') {
      res.writeHead(200, { 'last-modified': 'Wed, 21 Oct 2015 07:28:00 GMT', 'content-type': 'text/plain' });
      res.end(body);
    } else if (req.url === '/redirect') {
      res.writeHead(302, { location: '/files/data.txt' });
      res.end();
    } else {
      res.writeHead(404);
      res.end('no');
    }
  });
  const url = `http://127.0.0.1:${port}`;
  const out = await buildAndRun(
    'addurl',
    { Dockerfile: `FROM busybox\nADD ${url}/files/data.txt /d/\nADD --checksum=${digest} --chmod=644 ${url}/redirect /r.txt\n` },
    ['sh', '-c', 'cat /d/data.txt /r.txt; stat -c "%a %Y" /d/data.txt /r.txt'],
  );
  assert.equal(out, `${body}${body}600 1445412480\n644 1445412480\n`);
  const bad = await buildFails('addurl-bad', { Dockerfile: `FROM busybox\nRUN true\nADD --checksum=sha256:${'0'.repeat(64)} ${url}/files/data.txt /x\n` });
  assert.match(bad, /Dockerfile:3\n[\s\S]*checksum mismatch for http:\/\/127\.0\.0\.1:\d+\/files\/data\.txt: expected sha256:0+, got sha256:/);
  const missing = await buildFails('addurl-404', { Dockerfile: `FROM busybox\nADD ${url}/nothing /x\n` });
  assert.match(missing, /Dockerfile:2\n[\s\S]*failed to download .*\/nothing: the server answered 404/);
  // A port nobody listens on: the listener is closed before the build.
  const gone = await listen(() => undefined);
  servers.pop()?.close();
  const refused = await buildFails('addurl-refused', { Dockerfile: `FROM busybox\n\nADD http://127.0.0.1:${gone}/x /x\n` });
  assert.match(refused, /Dockerfile:3\n[\s\S]*>>> ADD http:\/\/127\.0\.0\.1:\d+\/x \/x[\s\S]*failed to download .*: connection refused/);
  // The build's HTTP_PROXY carries the download (the name does not resolve: only the proxy knows it).
  const proxied: string[] = [];
  const proxy = await listen((req, res) => {
    proxied.push(req.url ?? '');
    res.writeHead(200);
    res.end('via proxy\n');
  });
  const p = await buildAndRun('addurl-proxy', { Dockerfile: 'FROM busybox\nADD http://files.berth.invalid/p.txt /p.txt\n' }, ['cat', '/p.txt'], ['--build-arg', `HTTP_PROXY=http://127.0.0.1:${proxy}`]);
  assert.equal(p, 'via proxy\n');
  assert.deepEqual(proxied, ['http://files.berth.invalid/p.txt']);
  const git = await buildFails('add-git', { Dockerfile: 'FROM busybox\nADD https://example.com/repo.git /src\n' });
  assert.match(git, /Dockerfile:2\n[\s\S]*ADD of a git repository .* is not supported by berth/);
  const keep = await buildFails('add-keepgit', { Dockerfile: 'FROM busybox\nADD --keep-git-dir=true https://example.com/repo.git#main /src\n' });
  assert.match(keep, /line 2: ADD --keep-git-dir is not supported by berth/);
  const copyUrl = await buildFails('copy-url', { Dockerfile: `FROM busybox\nCOPY ${url}/files/data.txt /x\n` });
  assert.match(copyUrl, /source can't be a URL for COPY/);
  assert.equal((await d.docker(['ps', '-aq'])).stdout, '');
});

test('ADD of an https URL: directly, and through the build HTTPS_PROXY (a CONNECT tunnel)', async () => {
  const secure = createTlsServer({ key: readFileSync(join(tls, 'key.pem')), cert: readFileSync(join(tls, 'cert.pem')) }, (req, res) => {
    res.writeHead(req.url === '/secure.txt' ? 200 : 404);
    res.end(req.url === '/secure.txt' ? 'over tls\n' : 'no');
  });
  servers.push(secure);
  await new Promise<void>((r) => secure.listen(0, '127.0.0.1', r));
  const tlsPort = (secure.address() as AddressInfo).port;
  const tunnels: string[] = [];
  const proxy = createServer((_req, res) => {
    res.writeHead(405);
    res.end();
  });
  proxy.on('connect', (req, client) => {
    tunnels.push(req.url ?? '');
    const up = connect(tlsPort, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      up.pipe(client);
      client.pipe(up);
    });
    up.on('error', () => client.destroy());
    client.on('error', () => up.destroy());
  });
  servers.push(proxy);
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const proxyPort = (proxy.address() as AddressInfo).port;
  const direct = await buildAndRun('https-direct', { Dockerfile: `FROM busybox\nADD https://127.0.0.1:${tlsPort}/secure.txt /s.txt\n` }, ['cat', '/s.txt']);
  assert.equal(direct, 'over tls\n');
  const tunnelled = await buildAndRun('https-proxy', { Dockerfile: `FROM busybox\nADD https://files.berth.test:${tlsPort}/secure.txt /s.txt\n` }, ['cat', '/s.txt'], ['--build-arg', `HTTPS_PROXY=http://127.0.0.1:${proxyPort}`]);
  assert.equal(tunnelled, 'over tls\n');
  assert.deepEqual(tunnels, [`files.berth.test:${tlsPort}`]);
  // NO_PROXY names the host: the download goes direct, not through the proxy.
  const bypass = await buildAndRun('https-noproxy', { Dockerfile: `FROM busybox\nADD https://localhost:${tlsPort}/secure.txt /s.txt\n` }, ['cat', '/s.txt'], ['--build-arg', `HTTPS_PROXY=http://127.0.0.1:${proxyPort}`, '--build-arg', 'NO_PROXY=example.com,localhost']);
  assert.equal(bypass, 'over tls\n');
  assert.equal(tunnels.length, 1);
});

test('platforms: automatic ARGs, FROM --platform with ARGs, a foreign platform builds COPY-only stages and refuses RUN', async () => {
  const out = await buildAndRun(
    'plat-args',
    {
      Dockerfile: [
        'ARG BASE=busybox',
        'FROM --platform=$BUILDPLATFORM $BASE AS build',
        'ARG TARGETPLATFORM',
        'ARG TARGETARCH',
        'ARG BUILDOS',
        'RUN echo "$TARGETPLATFORM $TARGETARCH $BUILDOS [$BUILDARCH]" > /p',
        `FROM --platform=linux/${foreignArch} scratch AS foreign`,
        'COPY --from=build /p /p',
        'FROM busybox',
        'COPY --from=build /p /p',
      ].join('\n'),
    },
    ['cat', '/p'],
  );
  // BUILDARCH was not declared in the stage: empty there, as the reference says.
  assert.equal(out, `linux/${hostArch} ${hostArch} linux []\n`);
  // A COPY-only stage for another platform builds; the image says its platform.
  const ctx = context('plat-foreign', { Dockerfile: `FROM --platform=linux/${foreignArch} scratch\nCOPY f /f\n`, f: 'f\n' });
  const b = await d.docker(['build', '-t', 'plat-foreign', ctx]);
  assert.equal(b.code, 0, b.stderr);
  assert.equal((await d.docker(['image', 'inspect', '-f', '{{.Os}}/{{.Architecture}}', 'plat-foreign'])).stdout.trim(), `linux/${foreignArch}`);
  const run = await buildFails('plat-run', { Dockerfile: `FROM --platform=linux/${foreignArch} scratch\nCOPY --from=busybox /bin/busybox /bin/sh\nRUN echo no\n` });
  assert.match(run, /Dockerfile:3\n[\s\S]*>>> RUN echo no[\s\S]*cannot RUN in a linux\/\w+ stage on this linux\/\w+ host: berth does not emulate other platforms/);
  // --platform of the build sets TARGETPLATFORM (berth build and the docker CLI alike).
  const tctx = context('plat-target', { Dockerfile: 'FROM scratch\nARG TARGETPLATFORM\nARG TARGETARCH\nLABEL t=$TARGETPLATFORM a=$TARGETARCH\n' });
  const t = await d.berth(['build', '--platform', `linux/${foreignArch}`, '-t', 'plat-target', tctx]);
  assert.equal(t.code, 0, t.stderr + t.stdout);
  assert.equal((await d.docker(['image', 'inspect', '-f', '{{.Config.Labels.t}} {{.Config.Labels.a}} {{.Architecture}}', 'plat-target'])).stdout.trim(), `linux/${foreignArch} ${foreignArch} ${foreignArch}`);
  // The docker CLI's --platform; a global ARG TARGETARCH without a value keeps the automatic value.
  const dctx = context('plat-docker', { Dockerfile: 'ARG TARGETARCH\nFROM scratch\nARG TARGETARCH\nLABEL a=$TARGETARCH\n' });
  const dt = await d.docker(['build', '--platform', `linux/${foreignArch}`, '-t', 'plat-docker', dctx]);
  assert.equal(dt.code, 0, dt.stderr + dt.stdout);
  assert.equal((await d.docker(['image', 'inspect', '-f', '{{.Config.Labels.a}} {{.Architecture}}', 'plat-docker'])).stdout.trim(), `${foreignArch} ${foreignArch}`);
  // A local base image of another platform than asked for is refused as Docker refuses it.
  const mismatch = await buildFails('plat-mismatch', { Dockerfile: `FROM --platform=linux/${foreignArch} busybox\n` });
  assert.match(mismatch, /does not match the specified platform: wanted linux\/\w+, actual: linux\/\w+/);
});

test('RUN --network: none has only loopback, default is the build network, host needs the build to be on the host network', async () => {
  const out = await buildAndRun(
    'net',
    {
      Dockerfile: [
        'FROM busybox',
        'RUN --network=none ls /sys/class/net > /none',
        'RUN --network=none sh -c "echo routes: \\$(tail -n +2 /proc/net/route | wc -l)" > /none-routes',
        'RUN --network=default ls /sys/class/net > /default',
      ].join('\n'),
    },
    ['sh', '-c', 'echo $(cat /none) "|" $(cat /default); cat /none-routes'],
  );
  // No interface but loopback and no route anywhere: no network at all.
  assert.equal(out, 'lo | eth0 lo\nroutes: 0\n');
  const hostFile = 'FROM busybox\nRUN --network=host ls /sys/class/net > /host\nRUN --network=none ls /sys/class/net > /none\n';
  const refused = await buildFails('net-host-refused', { Dockerfile: hostFile });
  assert.match(refused, /Dockerfile:2\n[\s\S]*RUN --network=host needs the network.host entitlement/);
  const host = await buildAndRun('net-host', { Dockerfile: hostFile }, ['sh', '-c', 'cat /host; echo "|"; cat /none'], ['--network', 'host']);
  const [hostIfs = '', noneIfs = ''] = host.split('|\n');
  assert.ok(hostIfs.split('\n').includes(d.net.bridge), `the host's interfaces: ${hostIfs}`);
  assert.equal(noneIfs, 'lo\n');
});

test('default-ARG and ONBUILD rules: a global ARG default reaches a stage only through ARG NAME; triggers run once in the child', async () => {
  const parent = await d.docker(['build', '-t', 'onb-parent', context('onb-parent', { Dockerfile: 'FROM busybox\nONBUILD ARG GREETING=hi\nONBUILD RUN <<EOF\necho "$GREETING from trigger" > /trigger\nEOF\n' })]);
  assert.equal(parent.code, 0, parent.stderr);
  const out = await buildAndRun(
    'onb-child',
    { Dockerfile: ['ARG V=global', 'FROM onb-parent', 'RUN echo "[$V]" > /before', 'ARG V', 'RUN echo "[$V]" > /after'].join('\n') },
    ['cat', '/trigger', '/before', '/after'],
  );
  assert.equal(out, 'hi from trigger\n[]\n[global]\n');
  // ONBUILD COPY --from names a stage of the Dockerfile where the trigger runs (syntax 1.11).
  const p2 = await d.docker(['build', '-t', 'onb-from', context('onb-from', { Dockerfile: 'FROM busybox\nONBUILD COPY --from=build /x /x\n' })]);
  assert.equal(p2.code, 0, p2.stderr);
  const fromOut = await buildAndRun('onb-from-child', { Dockerfile: 'FROM busybox AS build\nRUN echo from-build > /x\nFROM onb-from\n' }, ['cat', '/x']);
  assert.equal(fromOut, 'from-build\n');
  // The triggers are not inherited by grandchildren.
  assert.equal((await d.docker(['image', 'inspect', '-f', '{{json .Config.OnBuild}}', 'onb-child'])).stdout.trim(), 'null');
});


test('COPY --link: the layer is made apart from the base and reused on a changed base', async () => {
  const files = { Dockerfile: 'ARG BASE=busybox\nFROM $BASE\nCOPY --link --chmod=640 data/ /srv/data/\n', 'data/a.txt': 'a\n', 'data/sub/b.txt': 'b\n' };
  const first = await d.docker(['build', '-t', 'link-a', context('link', files)]);
  assert.equal(first.code, 0, first.stderr + first.stdout);
  const other = await d.docker(['build', '-t', 'link-base2', context('link-base2', { Dockerfile: 'FROM busybox\nRUN echo changed > /base-changed\n' })]);
  assert.equal(other.code, 0, other.stderr);
  const second = await d.docker(['build', '--build-arg', 'BASE=link-base2', '-t', 'link-b', context('link', files)]);
  assert.equal(second.code, 0, second.stderr + second.stdout);
  assert.match(second.stdout, /COPY --link[^\n]*\n ---> Using cache\n/);
  const top = async (img: string): Promise<string> => ((JSON.parse((await d.docker(['inspect', '-f', '{{json .RootFS.Layers}}', img])).stdout) as string[]).at(-1) ?? '');
  assert.equal(await top('link-b'), await top('link-a'));
  const r = await d.docker(['run', '--rm', 'link-b', 'sh', '-c', 'cat /base-changed /srv/data/a.txt /srv/data/sub/b.txt; stat -c %a /srv/data/a.txt']);
  assert.equal(r.stdout, 'changed\na\nb\n640\n');
  // The linked layer holds only what the COPY wrote.
  const layer = await d.docker(['history', '--no-trunc', '--format', '{{.CreatedBy}} {{.Size}}', 'link-b']);
  assert.match(layer.stdout.split('\n')[0] ?? '', /COPY --link dir:[0-9a-f]{64} in \/srv\/data\//);
});

test('nothing is left behind: no step directories (heredocs, scripts, downloads), no build containers', async () => {
  const tmp = join(d.dataRoot, 'tmp');
  assert.ok(existsSync(tmp), 'the builds above used the scratch directory');
  const left = readdirSync(tmp).filter((n) => n.startsWith('step-') || n.startsWith('build-'));
  assert.deepEqual(left, []);
  assert.equal((await d.docker(['ps', '-aq'])).stdout, '');
});
