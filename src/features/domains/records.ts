import type { DomainVerificationRow } from "@/db/schema";
import type { DnsRecordPurpose, PublishedRecordType } from "@/shared/domain-records";
import type { DomainConfig } from "./config";

/** The TXT value that proves ownership starts with this; the rest is the domain's random token. */
export const OWNERSHIP_PREFIX = "epilot-verification=";
/** Two selectors, so a new key can be published under one while the other still signs. */
const DKIM_SELECTORS = ["epilot1", "epilot2"] as const;
const MX_PRIORITY = 10;
const DMARC_RECOMMENDED = "v=DMARC1; p=none";

/** One record the customer publishes, with the value a check expects to find. */
export interface ExpectedRecord {
  /** Stable per record (`dkim:epilot1`): the stored check of a record is kept under it. */
  key: string;
  purpose: DnsRecordPurpose;
  type: PublishedRecordType;
  name: string;
  value: string;
  priority?: number;
  /** False for advisory records (DMARC): they never block verification. */
  required: boolean;
}

/** The records `domain` publishes: its own token and DKIM key id, the platform's hosts from `config`. */
export function expectedRecords(
  domain: string,
  state: Pick<DomainVerificationRow, "token" | "dkimKeyId">,
  config: DomainConfig,
): ExpectedRecord[] {
  return [
    {
      key: "ownership",
      purpose: "ownership",
      type: "TXT",
      name: domain,
      value: `${OWNERSHIP_PREFIX}${state.token}`,
      required: true,
    },
    {
      key: "mx",
      purpose: "mx",
      type: "MX",
      name: domain,
      value: config.inboundMxHost,
      priority: MX_PRIORITY,
      required: true,
    },
    {
      key: "spf",
      purpose: "spf",
      type: "TXT",
      name: domain,
      value: `v=spf1 include:${config.spfInclude} ~all`,
      required: true,
    },
    ...DKIM_SELECTORS.map((selector) => ({
      key: `dkim:${selector}`,
      purpose: "dkim" as const,
      type: "CNAME" as const,
      name: `${selector}._domainkey.${domain}`,
      value: `${selector}.${state.dkimKeyId}.${config.dkimTargetDomain}`,
      required: true,
    })),
    {
      key: "dmarc",
      purpose: "dmarc",
      type: "TXT",
      name: `_dmarc.${domain}`,
      value: DMARC_RECOMMENDED,
      required: false,
    },
  ];
}

/** What to publish for `record`, in one line (the hint of a record not published yet). */
export function publishHint(record: ExpectedRecord): string {
  const priority = record.priority === undefined ? "" : ` with priority ${record.priority}`;
  const advisory = record.required ? "" : " (recommended, does not block verification)";
  return `Publish a ${record.type} record at ${record.name} with the value ${record.value}${priority}${advisory}.`;
}
