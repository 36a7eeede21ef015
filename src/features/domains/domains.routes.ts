import { createRoute, z } from "@hono/zod-openapi";
import { DomainPayloadSchema, DomainSettingSchema } from "@/features/domains/domains.schemas";
import { SettingsResponseSchema } from "@/features/settings/settings.schemas";
import {
  authenticatedErrors,
  bodyErrors,
  errorResponse,
  errorResponses,
  jsonBody,
  jsonContent,
} from "@/lib/openapi-helpers";

const tags = ["Domains"];
const BASE = "/v1/email-settings/domain";

/** 502: the resolver could not be reached at all (other resolver trouble marks records `error`). */
const resolverUnreachable = {
  502: errorResponse("The DNS resolver could not be reached at all; nothing was checked"),
};

const DOMAIN_SHAPE =
  "The `email_domain` setting with the additional properties described by `DomainSetting`: `status`, " +
  "`name_servers`, `dns_records` (one per record to publish, with its `status`, `found` and `hint`), " +
  "`verified_at`, `last_checked_at`, `next_check_at` and, once checked, `name_server_check`.";

export const getDomains = createRoute({
  operationId: "getDomains",
  method: "get",
  path: BASE,
  tags,
  summary: "List the org's custom domains with their verification status and DNS records",
  responses: {
    200: jsonContent(z.array(DomainSettingSchema), "The org's domains, oldest first"),
    ...authenticatedErrors,
  },
});

export const addDomain = createRoute({
  operationId: "addDomain",
  method: "post",
  path: BASE,
  tags,
  summary: "addDomain",
  description:
    "Adds a custom email domain to the organization. The name is normalized (trimmed, lowercased, trailing dot " +
    "removed, IDN to punycode) and must be a public, registrable domain name. The response lists the DNS " +
    `records to publish before verification. ${DOMAIN_SHAPE}`,
  request: { body: jsonBody(DomainPayloadSchema, "The domain to add") },
  responses: {
    200: jsonContent(SettingsResponseSchema, "The added domain (status `pending`) and the DNS records to publish"),
    ...authenticatedErrors,
    ...bodyErrors,
    ...errorResponses(404, 409, 503),
  },
});

export const deleteDomain = createRoute({
  operationId: "deleteDomain",
  method: "delete",
  path: BASE,
  tags,
  summary: "deleteDomain",
  description:
    "Removes a custom email domain from the organization. Refused (409) while email addresses of the " +
    "organization use the domain; the message names them.",
  request: { body: jsonBody(DomainPayloadSchema, "The domain to delete") },
  responses: {
    204: { description: "Domain deleted successfully" },
    ...authenticatedErrors,
    ...bodyErrors,
    ...errorResponses(404, 409),
  },
});

export const verifyNameServers = createRoute({
  operationId: "verifyNameServers",
  method: "post",
  path: `${BASE}/name-servers:verify`,
  tags,
  summary: "verifyNameServers",
  description:
    "Checks that the domain's NS set equals the platform name servers (order and case ignored) and stores " +
    `the result as \`name_server_check\`. ${DOMAIN_SHAPE}`,
  request: { body: jsonBody(DomainPayloadSchema, "The domain to verify name servers for") },
  responses: {
    200: jsonContent(SettingsResponseSchema, "The domain with its name server check"),
    ...authenticatedErrors,
    ...bodyErrors,
    ...errorResponses(404, 503),
    ...resolverUnreachable,
  },
});

export const verifyDomain = createRoute({
  operationId: "verifyDomain",
  method: "post",
  path: `${BASE}:verify`,
  tags,
  summary: "verifyDomain",
  description:
    "Looks every DNS record up (concurrently, through DNS-over-HTTPS) and stores each record's status and " +
    "the domain's overall status. Resolver timeouts, SERVFAIL and malformed answers mark the affected records " +
    `\`error\`; only an unreachable resolver answers 502. ${DOMAIN_SHAPE}`,
  request: { body: jsonBody(DomainPayloadSchema, "The domain to verify") },
  responses: {
    200: jsonContent(SettingsResponseSchema, "The domain with the result of every record check"),
    ...authenticatedErrors,
    ...bodyErrors,
    ...errorResponses(404, 409, 503),
    ...resolverUnreachable,
  },
});

export type GetDomainsRoute = typeof getDomains;
export type AddDomainRoute = typeof addDomain;
export type DeleteDomainRoute = typeof deleteDomain;
export type VerifyNameServersRoute = typeof verifyNameServers;
export type VerifyDomainRoute = typeof verifyDomain;
