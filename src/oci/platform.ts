import type { Platform } from './types.js';

const ARCH: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm',
  ia32: '386',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loong64',
  mips: 'mips',
  mipsel: 'mipsle',
};

/** Node's process.arch in OCI/Go naming (x64 → amd64). */
export function ociArchitecture(nodeArch: string = process.arch): string {
  return ARCH[nodeArch] ?? nodeArch;
}

/** The platform images are chosen for on this host (always linux: berth runs Linux containers). */
export function hostPlatform(): Platform {
  const architecture = ociArchitecture();
  if (architecture === 'arm64') return { os: 'linux', architecture, variant: 'v8' };
  if (architecture === 'arm') return { os: 'linux', architecture, variant: 'v7' };
  return { os: 'linux', architecture };
}

/** Normalizes a platform's variant as containerd does (arm64 v8 is the default and may be omitted). */
function variantOf(p: Platform): string {
  if (p.architecture === 'arm64') return p.variant === undefined || p.variant === '' ? 'v8' : p.variant;
  return p.variant ?? '';
}

/** Whether an image for `candidate` runs on `want` (exact os/arch, variant equal after normalization). */
export function platformMatches(want: Platform, candidate: Platform): boolean {
  if (want.os !== candidate.os || want.architecture !== candidate.architecture) return false;
  if (want.variant === undefined && want.architecture !== 'arm64') return true;
  return variantOf(want) === variantOf(candidate);
}

/** "linux/arm64/v8" style string. */
export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, ...(p.variant ? [p.variant] : [])].join('/');
}
