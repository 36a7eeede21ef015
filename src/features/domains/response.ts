import type { StoredRecordCheck } from "@/db/schema";
import { DOMAIN_STATE_KEYS, toSettingResponse } from "@/features/settings";
import type { DomainDnsRecord, DomainSettingBody } from "@/shared/domain-records";
import type { DomainConfig } from "./config";
import { type ExpectedRecord, expectedRecords, publishHint } from "./records";
import { type DomainEntry, domainOf } from "./state";

/** A record to publish with its last check, when that check was made against the value expected now. */
function dnsRecordOf(record: ExpectedRecord, check: StoredRecordCheck | undefined): DomainDnsRecord {
  const current = check && check.expected === record.value ? check : undefined;
  return {
    purpose: record.purpose,
    type: record.type,
    name: record.name,
    value: record.value,
    ...(record.priority !== undefined && { priority: record.priority }),
    required: record.required,
    status: current?.status ?? "pending",
    ...(current && { found: current.found }),
    hint: current?.hint ?? publishHint(record),
    ...(current?.reason !== undefined && { reason: current.reason }),
  };
}

/** The domain as every domain operation returns it: the setting plus its verification state. */
export function toDomainResponse(entry: DomainEntry, config: DomainConfig): DomainSettingBody {
  const { setting, state } = entry;
  // id, org_id, type, name, created_at, ... as the settings API shows them.
  const base: Record<string, unknown> = toSettingResponse(setting);
  // Additional properties the domain operations own: a stored extra with one of these names is not echoed.
  for (const key of DOMAIN_STATE_KEYS) delete base[key];
  const domain = domainOf(entry);
  const stored = new Map(state.records.map((r) => [r.key, r]));
  return {
    ...base,
    value: domain,
    status: state.status,
    name_servers: config.nameServers,
    dns_records: expectedRecords(domain, state, config).map((record) => dnsRecordOf(record, stored.get(record.key))),
    ...(state.verifiedAt && { verified_at: state.verifiedAt }),
    ...(state.lastCheckedAt && { last_checked_at: state.lastCheckedAt }),
    next_check_at: state.nextCheckAt,
    ...(state.nameServerCheck && { name_server_check: state.nameServerCheck }),
  } as DomainSettingBody;
}
