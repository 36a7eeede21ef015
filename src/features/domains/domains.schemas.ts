import { z } from "@hono/zod-openapi";
import { DOMAIN_STATUSES } from "@/db/schema";
import { SettingSchema } from "@/features/settings/settings.schemas";
import { PLATFORM_DOMAIN } from "@/lib/config";
import {
  DNS_RECORD_PURPOSES,
  DNS_RECORD_STATUSES,
  type DomainDnsRecord,
  type DomainSettingBody,
  PUBLISHED_RECORD_TYPES,
} from "@/shared/domain-records";

/** As in the contract, `domain` is not marked required; the handlers answer 400 when it is missing. */
export const DomainPayloadSchema = z
  .object({
    domain: z.string({ error: "must be a string such as mail.yourcompany.com" }).max(1024).optional().openapi({
      description: 'The domain name to add or verify. Can be a root domain or subdomain, e.g. "mail.yourcompany.com".',
      example: "mail.yourcompany.com",
    }),
  })
  .openapi("Domain");

export const DomainStatusSchema = z.enum(DOMAIN_STATUSES).openapi("DomainStatus", {
  description:
    "`verified`: every required record is right; `partially_verified`: some are; `failed`: none is and at least one " +
    "is published wrong; `pending`: nothing usable is published yet (or not checked yet).",
});

export const DnsRecordStatusSchema = z.enum(DNS_RECORD_STATUSES).openapi({
  description: "`pending` until the first check; `error` when the resolver could not answer for this record.",
});

export const DomainDnsRecordSchema = z
  .object({
    purpose: z.enum(DNS_RECORD_PURPOSES),
    type: z.enum(PUBLISHED_RECORD_TYPES),
    name: z.string().openapi({ example: "epilot1._domainkey.mail.yourcompany.com" }),
    value: z.string().openapi({ example: `epilot1.3f9a0c1d2e4b.dkim.${PLATFORM_DOMAIN}` }),
    priority: z.number().int().optional().openapi({ description: "MX preference to publish" }),
    required: z.boolean().openapi({ description: "false for advisory records (DMARC): they never block verification" }),
    status: DnsRecordStatusSchema,
    found: z.array(z.string()).optional().openapi({ description: "What the last check found at that name" }),
    hint: z.string().openapi({ description: "One line on what to do next" }),
    reason: z.string().optional().openapi({ description: "Why the lookup failed (status `error`)" }),
  })
  .openapi("DomainDnsRecord") satisfies z.ZodType<DomainDnsRecord>;

export const NameServerCheckSchema = z
  .object({
    status: z.enum(["pass", "fail", "error"]),
    expected: z.array(z.string()),
    found: z.array(z.string()),
    results: z.array(
      z.object({
        name_server: z.string(),
        expected: z.boolean(),
        found: z.boolean(),
        status: z.enum(["pass", "fail"]),
      }),
    ),
    hint: z.string(),
    reason: z.string().optional(),
    checked_at: z.string().datetime(),
  })
  .openapi("NameServerCheck");

/**
 * The `email_domain` setting as the domain operations return it: a Setting with additional properties. The
 * services build it as `DomainSettingBody` (src/shared/domain-records.ts); `satisfies` here and the handlers'
 * typed `c.json` keep the schema and that type equal in both directions.
 */
export const DomainSettingSchema = SettingSchema.extend({
  id: z.string(),
  org_id: z.string(),
  type: z.literal("email_domain"),
  value: z.string().openapi({ example: "mail.yourcompany.com" }),
  created_at: z.string().datetime(),
  updated_at: z.string().datetime(),
  status: DomainStatusSchema,
  name_servers: z.array(z.string()).openapi({ description: "The platform name servers to delegate to" }),
  dns_records: z.array(DomainDnsRecordSchema),
  verified_at: z.string().datetime().optional(),
  last_checked_at: z.string().datetime().optional(),
  next_check_at: z.string().datetime().openapi({ description: "When the scheduled re-check looks next" }),
  name_server_check: NameServerCheckSchema.optional(),
}).openapi("DomainSetting") satisfies z.ZodType<DomainSettingBody>;
