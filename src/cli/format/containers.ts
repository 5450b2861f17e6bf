import { humanDuration, humanSizeWithPrecision, type ContainerSummary, type Port } from '../../api/index.js';
import { ellipsis, truncateId } from './formatter.js';

export const DEFAULT_PS_FORMAT = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';

export const PS_HEADERS: Record<string, string> = {
  ID: 'CONTAINER ID', Image: 'IMAGE', Command: 'COMMAND', CreatedAt: 'CREATED AT', RunningFor: 'CREATED',
  Ports: 'PORTS', State: 'STATE', Status: 'STATUS', Size: 'SIZE', Names: 'NAMES', Labels: 'LABELS',
  Label: 'LABEL', Mounts: 'MOUNTS', LocalVolumes: 'LOCAL VOLUMES', Networks: 'NETWORKS', Platform: 'PLATFORM',
};

/** Go's strconv.Quote for the printable text docker shows in COMMAND. */
export function goQuote(s: string): string {
  return JSON.stringify(s).replace(/\\u00([0-9a-f]{2})/g, '\\x$1').replace(/\u007f/g, '\\x7f');
}

/** docker's port list: `0.0.0.0:8080->80/tcp, 443/tcp`, sorted like docker sorts them. */
export function displayPorts(ports: readonly Port[]): string {
  const sorted = [...ports].sort((a, b) => (a.PrivatePort - b.PrivatePort) || (a.Type < b.Type ? -1 : a.Type > b.Type ? 1 : 0) || ((a.IP ?? '') < (b.IP ?? '') ? -1 : 1));
  const seen = new Set<string>();
  const out: string[] = [];
  for (const p of sorted) {
    let s: string;
    if (p.PublicPort !== undefined && p.PublicPort !== 0) {
      const ip = p.IP ?? '';
      const host = ip.includes(':') ? `[${ip}]` : ip;
      s = `${host}:${p.PublicPort}->${p.PrivatePort}/${p.Type}`;
    } else {
      s = `${p.PrivatePort}/${p.Type}`;
    }
    if (!seen.has(s)) { seen.add(s); out.push(s); }
  }
  return out.join(', ');
}

/** Go's time.Time String() in local time: `2006-01-02 15:04:05 -0700 MST`. */
export function goTimeString(d: Date): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const zone = off === 0 ? 'UTC' : `${sign}${p(Math.trunc(Math.abs(off) / 60))}`;
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} ${sign}${p(Math.trunc(Math.abs(off) / 60))}${p(Math.abs(off) % 60)} ${zone}`;
}

/** The fields docker's `ps --format` offers, computed from one ContainerSummary. */
export function containerRow(c: ContainerSummary, trunc: boolean, now: number = Date.now()): Record<string, unknown> {
  const names = (c.Names ?? []).map((n) => n.replace(/^\//, ''));
  // docker hides link names (`other/alias`) unless --no-trunc.
  const shownNames = trunc ? names.filter((n) => !n.includes('/')) : names;
  let image = c.Image;
  if (trunc) {
    if (image.startsWith('sha256:')) image = truncateId(image);
    else {
      const at = image.indexOf('@');
      if (at > 0) image = image.slice(0, at);
    }
  }
  const labels = c.Labels ?? {};
  return {
    ID: trunc ? truncateId(c.Id) : c.Id,
    Image: image,
    Command: goQuote(trunc ? ellipsis(c.Command, 20) : c.Command),
    CreatedAt: goTimeString(new Date(c.Created * 1000)),
    RunningFor: `${humanDuration(now - c.Created * 1000)} ago`,
    Ports: displayPorts(c.Ports ?? []),
    State: c.State,
    Status: c.Status,
    Size: c.SizeRw === undefined && c.SizeRootFs === undefined ? '0B'
      : `${humanSizeWithPrecision(c.SizeRw ?? 0, 3)} (virtual ${humanSizeWithPrecision(c.SizeRootFs ?? 0, 3)})`,
    Names: shownNames.join(','),
    Labels: Object.keys(labels).sort().map((k) => `${k}=${labels[k] ?? ''}`).join(','),
    Label: (key: unknown) => labels[String(key)] ?? '',
    Mounts: (c.Mounts ?? []).map((m) => (m.Name && m.Name !== '' ? (trunc ? ellipsis(m.Name, 15) : m.Name) : m.Source)).join(','),
    LocalVolumes: String((c.Mounts ?? []).filter((m) => m.Driver === 'local').length),
    Networks: Object.keys(c.NetworkSettings?.Networks ?? {}).sort().join(','),
    Platform: '',
  };
}
