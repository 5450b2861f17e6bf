/** One frame of Docker's multiplexed stream: [stream, 0, 0, 0, size uint32 BE] then the bytes. */
export function frame(stream: 'stdout' | 'stderr', data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head[0] = stream === 'stdout' ? 1 : 2;
  head.writeUInt32BE(data.length, 4);
  return Buffer.concat([head, data]);
}
