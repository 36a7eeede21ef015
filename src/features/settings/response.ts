import type { SettingRow, SettingType } from "@/db/schema";
import { parseDuplicateWindow } from "@/shared/validation";
import { isStaleSignature, resanitizedSignature } from "./signature-html";

/** A legacy setting as the API answers it (the Setting of the contract): stored extra properties included. */
export interface SettingView {
  id: string;
  org_id: string;
  type: SettingType;
  name?: string;
  value?: string;
  html?: string;
  /** restrict_duplicates_within only: the window in milliseconds. */
  duration_ms?: number;
  created_at: string;
  updated_at: string;
  created_by?: string;
  updated_by?: string;
  [key: string]: unknown;
}

/**
 * A setting as answered. Signature markup is served as stored, sanitized when it was written; only a
 * row an earlier sanitizer wrote (whose predecessor let `java&Tab;script:` links through) is sanitized
 * again here, so no caller can answer stale markup. getSettings writes such rows back first (see
 * signature-html.ts), so this runs the sanitizer at most once per stale row.
 */
export function toSettingResponse(stored: SettingRow): SettingView {
  const row = isStaleSignature(stored) ? resanitizedSignature(stored) : stored;
  const { value, html } = row;
  return {
    ...row.extra,
    id: row.id,
    org_id: row.orgId,
    type: row.type,
    ...(row.name != null && { name: row.name }),
    ...(value != null && { value }),
    ...(html != null && { html }),
    ...(row.type === "restrict_duplicates_within" &&
      row.value != null && { duration_ms: parseDuplicateWindow(row.value) ?? 0 }),
    created_at: row.createdAt,
    updated_at: row.updatedAt,
    ...(row.createdBy != null && { created_by: row.createdBy }),
    ...(row.updatedBy != null && { updated_by: row.updatedBy }),
  };
}
