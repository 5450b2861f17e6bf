/** Docker's tmpfs defaults (noexec,nosuid,nodev), with the user's flags winning over their opposites. */
export function tmpfsOptions(user: readonly string[]): string[] {
  const opposite: Record<string, string> = { exec: 'noexec', noexec: 'exec', suid: 'nosuid', nosuid: 'suid', dev: 'nodev', nodev: 'dev', ro: 'rw', rw: 'ro' };
  const out = ['noexec', 'nosuid', 'nodev'];
  for (const o of user) {
    const opp = opposite[o];
    const i = opp ? out.indexOf(opp) : -1;
    if (i >= 0) out.splice(i, 1);
    if (!out.includes(o)) out.push(o);
  }
  return out;
}
