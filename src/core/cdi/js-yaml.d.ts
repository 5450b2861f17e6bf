/** The part of js-yaml 4 (which ships no types) that berth uses: CDI specs written as YAML. */
declare module 'js-yaml' {
  export const CORE_SCHEMA: unknown;
  export function load(text: string, opts?: { schema?: unknown; filename?: string }): unknown;
}
