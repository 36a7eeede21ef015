/**
 * Reads a numeric config var. Vars are strings; an unset, empty or invalid one means the default, so a
 * blank entry in wrangler.toml never turns into 0.
 */
export function configNumber(
  value: unknown,
  fallback: number,
  rule: { positive?: boolean; integer?: boolean; max?: number } = {},
): number {
  if (typeof value !== "string" || !value.trim()) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || (rule.positive && n === 0) || (rule.integer && !Number.isInteger(n))) {
    return fallback;
  }
  return rule.max === undefined ? n : Math.min(n, rule.max);
}
