import { hostname } from 'node:os';
import { InvalidArgument } from '../../errdefs/index.js';
import type { ContainerRecord } from '../../core/metadata/index.js';

/** The container facts a log tag template and the attrs use (Docker's logger.Info). */
export interface LogInfo {
  id: string;
  name: string;
  imageId: string;
  imageName: string;
  command: string;
  labels: Readonly<Record<string, string>>;
  env: readonly string[];
}

export function logInfoOf(rec: ContainerRecord): LogInfo {
  return {
    id: rec.id,
    name: rec.name,
    imageId: rec.imageId,
    imageName: rec.spec.rootfs.image,
    command: rec.spec.process.args.join(' '),
    labels: rec.spec.labels,
    env: rec.spec.process.env,
  };
}

const bareId = (id: string): string => id.replace(/^sha256:/, '');

/** The fields Docker's tag templates offer, by name. */
const FIELDS: Record<string, (i: LogInfo) => string> = {
  ID: (i) => i.id.slice(0, 12),
  FullID: (i) => i.id,
  Name: (i) => i.name,
  ImageID: (i) => bareId(i.imageId).slice(0, 12),
  ImageFullID: (i) => i.imageId,
  ImageName: (i) => i.imageName,
  Command: (i) => i.command,
  DaemonName: () => 'docker',
  Hostname: () => hostname(),
};

const ACTION_RE = /\{\{\s*\.([A-Za-z]+)\s*\}\}/g;

/** Checks a tag template at create, so a typo fails there, as dockerd's template parse does. */
export function checkLogTag(template: string): void {
  const rest = template.replace(ACTION_RE, (whole, field: string) => {
    if (!(field in FIELDS)) throw new InvalidArgument(`invalid log tag template ${JSON.stringify(template)}: no field .${field} (there are ${Object.keys(FIELDS).map((f) => `.${f}`).join(', ')})`);
    return '';
  });
  if (rest.includes('{{')) throw new InvalidArgument(`invalid log tag template ${JSON.stringify(template)}: berth's templates take fields only, like {{.Name}}`);
}

/** Docker's loggerutils.ParseLogTag: the `tag` option's template, or the default ({{.ID}}). */
export function renderLogTag(template: string | undefined, info: LogInfo): string {
  const t = template ?? '{{.ID}}';
  checkLogTag(t);
  return t.replace(ACTION_RE, (_w, field: string) => (FIELDS[field] as (i: LogInfo) => string)(info));
}

/**
 * Docker's Info.ExtraAttributes: the labels named in `labels` (or matching `labels-regex`) and the
 * env variables named in `env` (or matching `env-regex`), as json-file puts them into `attrs`.
 */
export function logAttrs(opts: Readonly<Record<string, string>>, info: LogInfo): Record<string, string> {
  const out: Record<string, string> = {};
  const names = (s: string | undefined): string[] => (s ? s.split(',').map((x) => x.trim()).filter(Boolean) : []);
  for (const k of names(opts['labels'])) {
    const v = info.labels[k];
    if (v !== undefined) out[k] = v;
  }
  const labelsRe = opts['labels-regex'] ? new RegExp(opts['labels-regex']) : null;
  if (labelsRe) for (const [k, v] of Object.entries(info.labels)) if (labelsRe.test(k)) out[k] = v;
  const env = new Map(info.env.map((kv) => [kv.slice(0, kv.indexOf('=') < 0 ? kv.length : kv.indexOf('=')), kv.includes('=') ? kv.slice(kv.indexOf('=') + 1) : '']));
  for (const k of names(opts['env'])) {
    const v = env.get(k);
    if (v !== undefined) out[k] = v;
  }
  const envRe = opts['env-regex'] ? new RegExp(opts['env-regex']) : null;
  if (envRe) for (const [k, v] of env) if (envRe.test(k)) out[k] = v;
  return out;
}
