import type { CliContext } from '../context.js';

/** docker's `Are you sure you want to continue? [y/N]` prompt; anything but y/yes declines. */
export async function confirm(ctx: CliContext, warning: string): Promise<boolean> {
  ctx.out(`${warning}\nAre you sure you want to continue? [y/N] `);
  const line = await new Promise<string>((resolve) => {
    let buf = '';
    const onData = (d: Buffer): void => {
      buf += d.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl >= 0) { done(buf.slice(0, nl)); }
    };
    const done = (s: string): void => {
      ctx.stdin.off('data', onData);
      ctx.stdin.off('end', onEnd);
      ctx.stdin.pause();
      resolve(s);
    };
    const onEnd = (): void => done(buf);
    ctx.stdin.on('data', onData);
    ctx.stdin.on('end', onEnd);
  });
  const answer = line.trim().toLowerCase();
  if (answer === 'y' || answer === 'yes') return true;
  return false;
}
