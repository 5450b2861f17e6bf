import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthorityRewriter } from './authority.js';
import { HUFFMAN_CODES, HUFFMAN_LENGTHS } from './hpack-huffman.js';

// What crictl 1.26 (grpc-go) sends on a unix socket /tmp/dump.sock for `crictl version`, recorded:
// the preface, SETTINGS, a SETTINGS ack, then two Version calls' HEADERS and DATA frames.
const CRICTL = Buffer.from('505249202a20485454502f322e300d0a0d0a534d0d0a0d0a0000000400000000000000000401000000000000740104000000018386459962cb6a49a92afdc2bedb6a49a92ee2d9dcc42b1c4b620c7abf418b6134d6c496d35ae8393aff5f8b1d75d0620d263d4c4d65647a8a9acac8b4c7602bb615c140027465864d833505b11f408e9acac8b0c842d6958b510f21aa9b839bd9ab40899acac8b24d494f6a7f867df69d75cb7f0000050001000000010000000000000004030000000001000000080000100104000000038386c4c3c2c1c0bf7e867df7df75ab7f00000900010000000300000000040a027631', 'hex');

function huffmanDecode(b: Buffer): string {
  const table = new Map<string, number>();
  for (let s = 0; s < 256; s++) table.set(`${HUFFMAN_LENGTHS[s]}:${HUFFMAN_CODES[s]}`, s);
  let code = 0;
  let len = 0;
  let out = '';
  for (let i = 0; i < b.length * 8; i++) {
    code = code * 2 + ((((b[i >> 3] as number) >> (7 - (i & 7))) & 1));
    len++;
    const s = table.get(`${len}:${code}`);
    if (s !== undefined) {
      out += String.fromCharCode(s);
      code = 0;
      len = 0;
    }
  }
  return out;
}

/** The first :authority literal (static name index 1, incremental indexing) of the first HEADERS frame. */
function authorityOf(stream: Buffer): string {
  const at = stream.indexOf(Buffer.from([0x41]), stream.indexOf(Buffer.from('0104000000', 'hex')));
  const len = (stream[at + 1] as number) & 0x7f;
  return huffmanDecode(stream.subarray(at + 2, at + 2 + len));
}

test("grpc-go's socket-path :authority gets '-' for '/', every other byte as sent, in one piece or byte by byte", () => {
  assert.equal(authorityOf(CRICTL), '/tmp/dump.sock');
  const whole = Buffer.concat(new AuthorityRewriter().push(CRICTL));
  assert.equal(whole.length, CRICTL.length);
  assert.equal(authorityOf(whole), '-tmp-dump.sock');
  const differ = [...whole.keys()].filter((i) => whole[i] !== CRICTL[i]);
  assert.ok(differ.length > 0 && differ.length <= 11, `only the authority's bytes change: ${differ.length}`);

  const r = new AuthorityRewriter();
  const bytewise = Buffer.concat([...CRICTL].flatMap((b) => r.push(Buffer.from([b]))));
  assert.deepEqual(bytewise, whole);
});

test('a raw (non-Huffman) authority literal and one split across HEADERS and CONTINUATION are rewritten too', () => {
  const preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
  const value = Buffer.from('/run/berth/cri.sock', 'latin1');
  // :method POST (indexed 3), :authority literal without indexing (name index 1), raw value.
  const block = Buffer.concat([Buffer.from([0x83, 0x01, value.length]), value]);
  const frame = (type: number, flags: number, payload: Buffer): Buffer => {
    const h = Buffer.alloc(9);
    h.writeUIntBE(payload.length, 0, 3);
    h[3] = type;
    h[4] = flags;
    h.writeUInt32BE(1, 5);
    return Buffer.concat([h, payload]);
  };
  const input = Buffer.concat([preface, frame(0x1, 0, block.subarray(0, 6)), frame(0x9, 0x4, block.subarray(6))]);
  const out = Buffer.concat(new AuthorityRewriter().push(input));
  assert.equal(out.length, input.length);
  // The two fragments, without their frame headers, make the block again, its '/' now '-'.
  const p = preface.length;
  const fragments = Buffer.concat([out.subarray(p + 9, p + 9 + 6), out.subarray(p + 9 + 6 + 9)]);
  assert.deepEqual(fragments, Buffer.concat([block.subarray(0, 3), Buffer.from('-run-berth-cri.sock', 'latin1')]));
  // Not HTTP/2 at all: passed on untouched.
  const junk = Buffer.from('GET / HTTP/1.1\r\n\r\n', 'latin1');
  assert.deepEqual(Buffer.concat(new AuthorityRewriter().push(junk)), junk);
});
