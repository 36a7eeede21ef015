import type { DomainStatus, DomainVerificationRow, SettingRow } from "@/db/schema";

const HOUR_MS = 3_600_000;
/** Unverified domains are re-checked hourly while they are young, then daily; verified ones daily. */
const HOURLY_RECHECK_WINDOW_MS = 72 * HOUR_MS;

/** When the scheduled re-check next looks at a domain that now has `status`. */
export function nextCheckAt(status: DomainStatus, createdAt: string, now: Date): string {
  const age = now.getTime() - Date.parse(createdAt);
  const hourly = status !== "verified" && age < HOURLY_RECHECK_WINDOW_MS;
  return new Date(now.getTime() + (hourly ? HOUR_MS : 24 * HOUR_MS)).toISOString();
}

function randomHex(bytes: number): string {
  const data = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(data, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The verification state of a domain just added: a new ownership token and DKIM key id, nothing checked. */
export function freshState(setting: SettingRow, now: Date): DomainVerificationRow {
  const iso = now.toISOString();
  return {
    settingId: setting.id,
    orgId: setting.orgId,
    domain: setting.value ?? "",
    status: "pending",
    token: randomHex(20),
    dkimKeyId: randomHex(6),
    records: [],
    nameServerCheck: null,
    verifiedAt: null,
    lastCheckedAt: null,
    nextCheckAt: new Date(now.getTime() + HOUR_MS).toISOString(),
    createdAt: iso,
    updatedAt: iso,
  };
}

/** A custom domain: its `email_domain` setting and its verification state. */
export interface DomainEntry {
  setting: SettingRow;
  state: DomainVerificationRow;
}

/** The domain the entry stands for (the setting's value; the state's for a row without one). */
export const domainOf = (entry: DomainEntry) => entry.setting.value ?? entry.state.domain;
