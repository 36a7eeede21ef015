import type { SettingRow, SettingType } from "@/db/schema";
import { sanitizeSignatureHtml } from "@/shared/html-sanitizer";
import { parseDuplicateWindow } from "@/shared/validation";

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
 * Signature markup is sanitized again when served: rows stored before the current sanitizer (whose
 * predecessor let `java&Tab;script:` links through) are answered safe too. Sanitizing is idempotent, so
 * rows stored since come back unchanged.
 */
const served = (row: SettingRow, text: string | null) =>
  text != null && row.type === "signature" ? sanitizeSignatureHtml(text) : text;

export function toSettingResponse(row: SettingRow): SettingView {
  const value = served(row, row.value);
  const html = served(row, row.html);
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
