/**
 * The vocabulary of a custom domain's DNS records and of the domain as the API shows it, used both by the
 * HTTP schema (src/features/domains/domains.schemas.ts builds its enums from these lists) and by the domain
 * services (which build the bodies). Pure data, no I/O.
 */
import type { DomainStatus, StoredNameServerCheck } from "@/db/schema";

/** What a record to publish is for. */
export const DNS_RECORD_PURPOSES = ["ownership", "mx", "spf", "dkim", "dmarc"] as const;
export type DnsRecordPurpose = (typeof DNS_RECORD_PURPOSES)[number];

/** The record types a customer publishes. */
export const PUBLISHED_RECORD_TYPES = ["TXT", "MX", "CNAME"] as const;
export type PublishedRecordType = (typeof PUBLISHED_RECORD_TYPES)[number];

/** A record's status in a response: `pending` until its first check, then the stored verdict. */
export const DNS_RECORD_STATUSES = ["pending", "verified", "missing", "mismatch", "error"] as const;
export type DnsRecordStatus = (typeof DNS_RECORD_STATUSES)[number];

/** One record to publish with the outcome of its last check (`DomainDnsRecord` in the API). */
export interface DomainDnsRecord {
  purpose: DnsRecordPurpose;
  type: PublishedRecordType;
  name: string;
  value: string;
  priority?: number;
  required: boolean;
  status: DnsRecordStatus;
  found?: string[];
  hint: string;
  reason?: string;
}

/** The `email_domain` setting as the domain operations return it (`DomainSetting` in the API). */
export interface DomainSettingBody {
  [additionalProperty: string]: unknown;
  id: string;
  org_id: string;
  type: "email_domain";
  name?: string;
  value: string;
  created_at: string;
  updated_at: string;
  created_by?: string;
  updated_by?: string;
  status: DomainStatus;
  name_servers: string[];
  dns_records: DomainDnsRecord[];
  verified_at?: string;
  last_checked_at?: string;
  next_check_at: string;
  name_server_check?: StoredNameServerCheck;
}
