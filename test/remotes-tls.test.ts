import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, copyFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestDaemon } from './helpers/daemon.js';
import { freePort } from './remotes-helpers.js';

/** A CA, a server certificate for `ips` signed by it, and a client certificate signed by it (openssl). */
function makePki(dir: string, ips: string[]): void {
  const ssl = (args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=berth test CA', '-keyout', 'ca.key', '-out', 'ca.crt']);
  writeFileSync(join(dir, 'server.ext'), `subjectAltName=${ips.map((ip) => `IP:${ip}`).join(',')}\nextendedKeyUsage=serverAuth\n`);
  ssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=registry', '-keyout', 'server.key', '-out', 'server.csr']);
  ssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'server.ext', '-out', 'server.crt']);
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  ssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=berth client', '-keyout', 'client.key', '-out', 'client.csr']);
  ssl(['x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'client.ext', '-out', 'client.cert']);
}

/** distribution serving TLS with `dir`'s server certificate; with `clientCa`, client certificates are required. */
async function startTlsRegistry(dir: string, addr: string, clientCa: boolean): Promise<{ stop(): Promise<void> }> {
  const root = mkdtempSync(join(dir, 'reg-'));
  const config = join(root, 'config.yml');
  const clientcas = clientCa ? `, clientcas: [${join(dir, 'ca.crt')}]` : '';
  writeFileSync(
    config,
    `version: 0.1\nlog: { level: error, accesslog: { disabled: true } }\nstorage:\n  filesystem: { rootdirectory: ${join(root, 'data')} }\n` +
      `http:\n  addr: ${addr}\n  tls: { certificate: ${join(dir, 'server.crt')}, key: ${join(dir, 'server.key')}${clientcas} }\n`,
  );
  const p: ChildProcess = spawn('/usr/bin/docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  const [host, port] = [addr.slice(0, addr.lastIndexOf(':')), Number(addr.slice(addr.lastIndexOf(':') + 1))];
  for (let i = 0; ; i++) {
    // Listening once a TLS handshake gets an answer (accepted or refused for want of a client certificate).
    const up = await new Promise<boolean>((res) => {
      const s = connect({ host, port, rejectUnauthorized: false }, () => (s.destroy(), res(true)));
      s.once('error', (e: NodeJS.ErrnoException) => res(e.code !== 'ECONNREFUSED'));
    });
    if (up) break;
    if (p.exitCode !== null || i > 200) throw new Error(`TLS registry did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    stop: () =>
      new Promise((res) => {
        if (p.exitCode !== null) return res();
        p.once('exit', () => res());
        p.kill('SIGTERM');
      }),
  };
}

/** A bridge of the test's own with one address, so a registry can sit on a host that is not 127.0.0.0/8 (not insecure by default). */
function makeBridgeAddress(): { ip: string; remove(): void } {
  const name = `berthtls${process.pid % 100000}`;
  const ip = `198.18.${(process.pid >> 8) & 255}.${(process.pid & 255) || 1}`;
  execFileSync('ip', ['link', 'add', name, 'type', 'bridge']);
  try {
    execFileSync('ip', ['addr', 'add', `${ip}/32`, 'dev', name]);
    execFileSync('ip', ['link', 'set', name, 'up']);
  } catch (e) {
    execFileSync('ip', ['link', 'del', name]);
    throw e;
  }
  return { ip, remove: () => void execFileSync('ip', ['link', 'del', name]) };
}

test('TLS: an insecure registry with a self-signed certificate works over HTTPS; a secure one needs certs.d (CA, client certificate) and says x509 without', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-tls-'));
  t.after(() => execFileSync('rm', ['-rf', dir]));
  const bridge = makeBridgeAddress();
  t.after(() => bridge.remove());
  makePki(dir, ['127.0.0.1', bridge.ip]);
  const certsDir = join(dir, 'certs.d');
  mkdirSync(certsDir);

  const old = process.env['BERTH_CERTS_DIRS'];
  process.env['BERTH_CERTS_DIRS'] = certsDir;
  let d: TestDaemon;
  try {
    d = await TestDaemon.start();
  } finally {
    if (old === undefined) delete process.env['BERTH_CERTS_DIRS'];
    else process.env['BERTH_CERTS_DIRS'] = old;
  }
  t.after(() => d.cleanup());
  await d.makeBusyboxImage('busybox:latest');

  // 127.0.0.1 is insecure by default: HTTPS first, the untrusted certificate accepted. The registry
  // speaks only TLS, so the push went over HTTPS.
  const local = `127.0.0.1:${await freePort()}`;
  const reg1 = await startTlsRegistry(dir, local, false);
  t.after(() => reg1.stop());
  assert.equal((await d.berth(['tag', 'busybox', `${local}/tls:1`])).code, 0);
  const p1 = await d.berth(['push', `${local}/tls:1`]);
  assert.equal(p1.code, 0, p1.stderr);
  assert.match(p1.stdout, /1: digest: sha256:[a-f0-9]{64}/);
  const sk = await d.run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${local}/tls:1`]);
  assert.equal(sk.code, 0, sk.stderr);
  assert.match(sk.stdout, /schemaVersion/);
  // And back: rmi, pull over HTTPS.
  assert.equal((await d.berth(['rmi', `${local}/tls:1`])).code, 0);
  const pulled = await d.docker(['pull', `${local}/tls:1`]);
  assert.equal(pulled.code, 0, pulled.stderr);

  // A registry on the bridge's address is secure: its certificate must verify.
  const remote = `${bridge.ip}:${await freePort()}`;
  const reg2 = await startTlsRegistry(dir, remote, true);
  t.after(() => reg2.stop());
  assert.equal((await d.berth(['tag', 'busybox', `${remote}/tls:1`])).code, 0);
  const untrusted = await d.berth(['push', `${remote}/tls:1`]);
  assert.notEqual(untrusted.code, 0);
  assert.match(untrusted.stderr + untrusted.stdout, /x509: certificate signed by unknown authority/);
  const viaDocker = await d.docker(['push', `${remote}/tls:1`]);
  assert.notEqual(viaDocker.code, 0);
  assert.match(viaDocker.stderr + viaDocker.stdout, /x509/);

  // Its CA in certs.d: the certificate verifies, but this registry also wants a client certificate.
  const hostDir = join(certsDir, remote);
  mkdirSync(hostDir);
  copyFileSync(join(dir, 'ca.crt'), join(hostDir, 'ca.crt'));
  const noClientCert = await d.berth(['push', `${remote}/tls:1`]);
  assert.notEqual(noClientCert.code, 0, 'the registry requires a client certificate');
  assert.doesNotMatch(noClientCert.stderr + noClientCert.stdout, /x509/);

  // client.cert + client.key beside it: the push goes through.
  copyFileSync(join(dir, 'client.cert'), join(hostDir, 'client.cert'));
  copyFileSync(join(dir, 'client.key'), join(hostDir, 'client.key'));
  const ok = await d.berth(['push', `${remote}/tls:1`]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /1: digest: sha256:[a-f0-9]{64}/);
  const again = await d.docker(['push', `${remote}/tls:1`]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /Layer already exists/);
});
