/**
 * The keys of Docker's container.Config (api/types/container), in its order, with the Go zero value
 * of each. dockerd decodes an image's config JSON into this struct and encodes it back, so image
 * inspect's `Config` and `ContainerConfig` always hold every key that has no `omitempty`.
 */
const CONFIG_KEYS: readonly (readonly [key: string, zero: unknown, omitEmpty?: true])[] = [
  ['Hostname', ''],
  ['Domainname', ''],
  ['User', ''],
  ['AttachStdin', false],
  ['AttachStdout', false],
  ['AttachStderr', false],
  ['ExposedPorts', null, true],
  ['Tty', false],
  ['OpenStdin', false],
  ['StdinOnce', false],
  ['Env', null],
  ['Cmd', null],
  ['Healthcheck', null, true],
  ['ArgsEscaped', false, true],
  ['Image', ''],
  ['Volumes', null],
  ['WorkingDir', ''],
  ['Entrypoint', null],
  ['NetworkDisabled', false, true],
  ['MacAddress', '', true],
  ['OnBuild', null],
  ['Labels', null],
  ['StopSignal', '', true],
  ['StopTimeout', null, true],
  ['Shell', null, true],
];

function isEmpty(v: unknown): boolean {
  if (v === null || v === undefined || v === '' || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  return typeof v === 'object' && Object.keys(v).length === 0;
}

/** An image config's `config` (or `container_config`) as dockerd renders it: every key, in Docker's order. */
export function wireImageRunConfig(cfg: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> {
  const src = cfg ?? {};
  const out: Record<string, unknown> = {};
  for (const [key, zero, omitEmpty] of CONFIG_KEYS) {
    const v = src[key] ?? zero;
    if (omitEmpty && isEmpty(v)) continue;
    out[key] = v;
  }
  return out;
}
