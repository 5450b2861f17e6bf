import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Browser } from './cdp.js';
import { OCI_MANIFEST, pushBlob, req, sha } from './registry-client.js';
import { startBerthRegistry } from './registry-servers.js';

interface Pushed {
  digest: string;
  layers: string[];
  size: number;
}

/** An image whose config has what the page shows: created, entrypoint and command, history. */
async function pushConfiguredImage(base: string, repo: string, tags: string[], layerSizes: number[], cmd: string[], created: string): Promise<Pushed> {
  const layerData = layerSizes.map((n) => randomBytes(n));
  const layers = [];
  for (const l of layerData) layers.push(await pushBlob(base, repo, l));
  const config = Buffer.from(
    JSON.stringify({
      created,
      architecture: 'amd64',
      os: 'linux',
      config: { Entrypoint: ['/bin/sh', '-c'], Cmd: cmd },
      rootfs: { type: 'layers', diff_ids: layers },
      history: [
        ...layers.map((_, i) => ({ created, created_by: `/bin/sh -c #(nop) ADD file:layer${i} in /` })),
        { created, created_by: `/bin/sh -c #(nop)  CMD ${JSON.stringify(cmd)}`, empty_layer: true },
      ],
    }),
  );
  const configDigest = await pushBlob(base, repo, config);
  const body = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
    layers: layers.map((digest, i) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest, size: layerData[i]?.length })),
  });
  for (const tag of tags) {
    const r = await req(base, 'PUT', `/v2/${repo}/manifests/${tag}`, { body, headers: { 'Content-Type': OCI_MANIFEST } });
    assert.equal(r.status, 201, r.body.toString());
  }
  return { digest: sha(body), layers, size: config.length + layerSizes.reduce((a, b) => a + b, 0) };
}

const kB = (n: number): string => `${(n / 1000).toFixed(1)} kB`;
const cells = (table: string): string => `[...document.querySelectorAll('${table} tr')].slice(1).map((tr) => [...tr.children].map((td) => td.textContent.trim()))`;

test('the web page in headless Chromium: repositories, search, tags with digest/size/platform, layers, config and history; screenshot', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-registry-ui-'));
  const server = await startBerthRegistry();
  let browser: Browser | undefined;
  try {
    const app = await pushConfiguredImage(server.url, 'team/app', ['1.0', 'latest'], [3000], ['serve', '--port=8080'], '2026-11-01T10:00:00Z');
    const debug = await pushConfiguredImage(server.url, 'tools/debug', ['v2'], [4000, 2500], ['sleep', 'infinity'], '2026-11-02T12:30:00Z');

    browser = await Browser.launch();
    const page = await browser.newPage();
    await page.goto(`${server.url}/`);
    assert.equal(await page.eval('document.title'), 'berth registry');
    assert.deepEqual(await page.eval(cells('#repositories')), [
      ['team/app', '2'],
      ['tools/debug', '1'],
    ]);

    await page.type('input[name=q]', 'debug');
    const visible = `[...document.querySelectorAll('#repositories tr[data-repo]')].filter((tr) => !tr.hidden).map((tr) => tr.dataset.repo)`;
    assert.deepEqual(await page.eval(visible), ['tools/debug'], 'the list filters as one types');
    assert.equal(await page.eval('location.search'), '', 'without a round trip');
    await page.navigation(() => page.press('Enter'));
    assert.equal(await page.eval('location.search'), '?q=debug');
    assert.equal(await page.eval(`document.querySelector('input[name=q]').value`), 'debug');
    assert.deepEqual(await page.eval(cells('#repositories')), [['tools/debug', '1']], 'Enter asks the server, which filters too');

    await page.navigation(() => page.click('#repositories a'));
    assert.equal(await page.eval('location.pathname'), '/ui/tools/debug');
    assert.equal(await page.eval(`document.querySelector('h2').textContent`), 'tools/debug');
    assert.deepEqual(await page.eval(cells('#tags')), [['v2', debug.digest, kB(debug.size), 'linux/amd64']]);

    await page.navigation(() => page.click('#tags a'));
    assert.equal(await page.eval(`document.querySelector('h2').textContent`), 'tools/debug:v2');
    assert.deepEqual(await page.eval(cells('#layers')), [
      [debug.layers[0], kB(4000), 'application/vnd.oci.image.layer.v1.tar+gzip'],
      [debug.layers[1], kB(2500), 'application/vnd.oci.image.layer.v1.tar+gzip'],
    ]);
    const config = Object.fromEntries(await page.eval<[string, string][]>(`[...document.querySelectorAll('#config tr')].map((tr) => [tr.children[0].textContent, tr.children[1].textContent])`));
    assert.deepEqual(config, { Created: '2026-11-02T12:30:00Z', Platform: 'linux/amd64', Command: '/bin/sh -c sleep infinity' });
    assert.deepEqual(await page.eval(cells('#history')), [
      ['2026-11-02T12:30:00Z', '/bin/sh -c #(nop) ADD file:layer0 in /'],
      ['2026-11-02T12:30:00Z', '/bin/sh -c #(nop) ADD file:layer1 in /'],
      ['2026-11-02T12:30:00Z', '/bin/sh -c #(nop)  CMD ["sleep","infinity"]'],
    ]);

    const png = await page.screenshot();
    assert.equal(png.subarray(0, 8).toString('hex'), '89504e470d0a1a0a', 'a PNG');
    assert.equal(png.readUInt32BE(16), 1200, 'as wide as the viewport');
    const file = join(dir, 'registry-ui.png');
    await writeFile(file, png);
    await copyFile(file, '/tmp/berth-registry-ui.png');
    t.diagnostic(`screenshot ${file} (copy: /tmp/berth-registry-ui.png), ${png.length} bytes, ${png.readUInt32BE(16)}x${png.readUInt32BE(20)}: tools/debug:v2 with 2 layers, config (created, platform, command) and 3 history entries`);

    // Back on the list, the other repository's tags: two tags of one manifest.
    await page.goto(`${server.url}/ui/team/app`);
    assert.deepEqual(await page.eval(cells('#tags')), [
      ['1.0', app.digest, kB(app.size), 'linux/amd64'],
      ['latest', app.digest, kB(app.size), 'linux/amd64'],
    ]);
    await page.goto(`${server.url}/ui/team/nothing`);
    assert.equal(await page.eval(`document.querySelector('h2').textContent`), 'Not found');
  } finally {
    await browser?.close();
    await server.cleanup();
    await rm(dir, { recursive: true, force: true });
  }
});
