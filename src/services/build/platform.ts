import { formatPlatform, hostPlatform, platformMatches, type Platform } from '../../oci/index.js';
import { InvalidArgument } from '../../errdefs/index.js';
import type { ImageConfigJson } from '../images/index.js';

/**
 * A platform as written (`linux/arm64`, `linux/arm/v7`, `linux`), normalized as BuildKit does:
 * the host's architecture when only the OS is given, x86_64/aarch64 named amd64/arm64, arm64's
 * default variant v8 dropped.
 */
export function parseBuildPlatform(s: string): Platform {
  const parts = s.trim().toLowerCase().split('/');
  const host = hostPlatform();
  if (parts.length > 3 || parts.some((p) => p === '' || !/^[a-z0-9._-]+$/.test(p))) throw new InvalidArgument(`invalid platform "${s}": expected os[/arch[/variant]], e.g. linux/amd64`);
  const [os = 'linux', arch, variant] = parts;
  if (arch === undefined) return os === host.os ? host : { os, architecture: host.architecture };
  const architecture = ({ x86_64: 'amd64', x86: '386', aarch64: 'arm64', armhf: 'arm', armel: 'arm' } as Record<string, string>)[arch] ?? arch;
  let v = variant ?? (arch === 'armhf' ? 'v7' : arch === 'armel' ? 'v6' : undefined);
  if (architecture === 'arm64' && v === 'v8') v = undefined;
  if (architecture === 'arm' && v === undefined) v = 'v7';
  return { os, architecture, ...(v ? { variant: v } : {}) };
}

/** The host's platform as BuildKit names it in BUILDPLATFORM (arm64 without its v8). */
export function buildPlatform(): Platform {
  const h = hostPlatform();
  return h.architecture === 'arm64' ? { os: h.os, architecture: h.architecture } : h;
}

/**
 * The automatic platform ARGs of the Dockerfile reference: TARGET* from the build's platform
 * (--platform, else the host), BUILD* from the host. They are in the global scope (usable in FROM)
 * and a stage gets one by declaring it without a value (`ARG TARGETARCH`).
 */
export function platformArgs(target: Platform): Record<string, string> {
  const b = buildPlatform();
  return {
    TARGETPLATFORM: formatPlatform(target),
    TARGETOS: target.os,
    TARGETARCH: target.architecture,
    TARGETVARIANT: target.variant ?? '',
    BUILDPLATFORM: formatPlatform(b),
    BUILDOS: b.os,
    BUILDARCH: b.architecture,
    BUILDVARIANT: b.variant ?? '',
  };
}

/** An image config's platform. */
export function configPlatform(c: ImageConfigJson): Platform {
  const v = (c as { variant?: string }).variant;
  return { os: c.os || 'linux', architecture: c.architecture || 'amd64', ...(v ? { variant: v } : {}) };
}

/** Whether an image made for `have` is what a stage asked for with `want`. */
export function samePlatform(want: Platform, have: Platform): boolean {
  return platformMatches(want, have);
}

/**
 * RUN needs to execute the stage's binaries: berth does not emulate (no binfmt/QEMU), so a stage
 * for another platform than the host's cannot RUN. Returns the message, or null when it can.
 */
export function cannotRun(config: ImageConfigJson): string | null {
  const have = configPlatform(config);
  const host = hostPlatform();
  if (have.os === host.os && have.architecture === host.architecture) return null;
  return `cannot RUN in a ${formatPlatform(have)} stage on this ${formatPlatform(buildPlatform())} host: berth does not emulate other platforms; only stages that COPY, ADD or set metadata can be built for ${formatPlatform(have)}`;
}

export { formatPlatform };
