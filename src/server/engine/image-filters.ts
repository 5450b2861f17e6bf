/**
 * The `reference` filter of `GET /images/json` as dockerd applies it (distribution's FamiliarMatch):
 * a shell pattern (path.Match: `*` and `?` stop at '/') against the familiar reference, or against
 * its name alone (without the tag or digest). It picks which tags and which digests of an image
 * are listed, so `docker images --digests REPO` shows REPO's digests, a digest-only one included.
 */
export function referenceMatches(pattern: string, ref: string): boolean {
  const re = globToRegex(pattern);
  return re.test(ref) || re.test(nameOf(ref));
}

/** `name:tag` or `name@digest` → name (a registry's port is no tag). */
function nameOf(ref: string): string {
  const at = ref.indexOf('@');
  if (at >= 0) return ref.slice(0, at);
  return ref.replace(/:[^:/]+$/, '');
}

function globToRegex(glob: string): RegExp {
  return new RegExp('^' + glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]') + '$');
}

/**
 * The image's tags and digests that a listing shows: all of them without patterns, else those any
 * pattern matches (null when none does: the image is not listed).
 */
export function listedReferences(tags: string[], digests: string[], patterns: string[]): { tags: string[]; digests: string[] } | null {
  if (patterns.length === 0) return { tags, digests };
  const pick = (refs: string[]): string[] => refs.filter((r) => patterns.some((p) => referenceMatches(p, r)));
  const out = { tags: pick(tags), digests: pick(digests) };
  return out.tags.length || out.digests.length ? out : null;
}
