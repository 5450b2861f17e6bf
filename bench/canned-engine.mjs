// A stand-in Engine API that answers every GET/HEAD with a reply recorded from berthd beforehand:
// what the docker CLI costs on its own (start-up, parsing, formatting), with a server that does no work.
// Usage: node canned-engine.mjs RECORD_FROM_SOCKET LISTEN_SOCKET PATH...  (prints "ready" once listening)
import { createServer, request } from 'node:http';
import { rmSync } from 'node:fs';

const [from, listen, ...paths] = process.argv.slice(2);
const fetchFrom = (path) => new Promise((resolve, reject) => {
  request({ socketPath: from, path }, (res) => {
    const chunks = [];
    res.on('data', (c) => chunks.push(c));
    res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
  }).on('error', reject).end();
});
const replies = new Map();
for (const p of ['/_ping', ...paths]) replies.set(p, await fetchFrom(p));
const strip = (url) => url.replace(/^\/v[\d.]+/, '');
rmSync(listen, { force: true });
createServer((req, res) => {
  const r = replies.get(req.url) ?? replies.get(strip(req.url)) ?? replies.get(strip(req.url).split('?')[0]);
  if (!r) { res.writeHead(404).end('{"message":"not recorded"}'); return; }
  const { 'content-length': _, 'transfer-encoding': __, date: ___, connection: ____, ...headers } = r.headers;
  res.writeHead(r.status, { ...headers, 'Content-Length': r.body.length });
  res.end(req.method === 'HEAD' ? undefined : r.body);
}).listen(listen, () => console.log('ready'));
