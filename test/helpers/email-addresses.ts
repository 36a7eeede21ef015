import { z } from "zod";
import {
  type EmailAddressResponse,
  EmailAddressResponseSchema,
} from "@/features/email-addresses/email-addresses.schemas";
import { SharedInboxResponseSchema } from "@/features/shared-inboxes/shared-inboxes.schemas";
import { call, expectBody } from "./api";

/** Calls of the email-address API for test/email-addresses-*.test.ts; each checks the body against the schema. */
export const BASE = "/v2/email-settings/email-addresses";
export const PRIMARY = `${BASE}/primary`;
export const PROVISION = `${BASE}/epilot:provision`;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const AddressList = z.array(EmailAddressResponseSchema);

export const at = (idOrAddress: string) => `${BASE}/${encodeURIComponent(idOrAddress)}`;

export async function add(org: string, body: Record<string, unknown>, user?: string): Promise<EmailAddressResponse> {
  return expectBody(await call("POST", BASE, { org, user, body }), 201, EmailAddressResponseSchema);
}

export async function list(org: string): Promise<EmailAddressResponse[]> {
  return expectBody(await call("GET", BASE, { org }), 200, AddressList);
}

export async function get(org: string, idOrAddress: string): Promise<EmailAddressResponse> {
  return expectBody(await call("GET", at(idOrAddress), { org }), 200, EmailAddressResponseSchema);
}

export async function update(org: string, idOrAddress: string, body: Record<string, unknown>, user?: string) {
  return expectBody(await call("PUT", at(idOrAddress), { org, user, body }), 200, EmailAddressResponseSchema);
}

export async function makePrimary(org: string, address: string, user?: string) {
  return expectBody(await call("POST", PRIMARY, { org, user, body: { address } }), 200, EmailAddressResponseSchema);
}

export async function provision(org: string, address: string, user?: string) {
  return expectBody(await call("PUT", PROVISION, { org, user, body: { address } }), 200, EmailAddressResponseSchema);
}

export async function createInbox(org: string, name = "Support"): Promise<string> {
  const resp = await call("POST", "/v2/email-settings/shared-inboxes", { org, body: { name, color: "#123456" } });
  return expectBody(resp, 201, SharedInboxResponseSchema).id;
}

export async function createSignature(org: string): Promise<string> {
  const resp = await call("POST", "/v1/email-settings", {
    org,
    body: { type: "signature", name: "Sig", html: "<p>x</p>" },
  });
  const body = expectBody(resp, 200, z.object({ id: z.string().min(1), type: z.literal("signature") }));
  return body.id;
}

/** Platform addresses are unique across orgs, so every test needs its own. */
export const epilot = (name: string) => `${name}-${crypto.randomUUID().slice(0, 8)}@epilot.cloud`;

export const primaries = (rows: EmailAddressResponse[]) => rows.filter((r) => r.is_primary).map((r) => r.address);
