/**
 * One structured log line per event: JSON with the level and an event name. Callers pass ids and codes
 * only, never tokens, secrets or customer content.
 */
export function logEvent(level: "info" | "warn" | "error", event: string, fields: Record<string, unknown> = {}) {
  const line = JSON.stringify({ level, event, ...fields });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}
