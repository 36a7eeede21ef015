import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { servicesFor } from "@/entry/services";
import { MailboxLiveSyncSchema } from "@/features/mailboxes/mailboxes.schemas";
import { lockStub } from "@/features/mailboxes/sync/lock-stub";
import type { AppEnv } from "@/lib/types";
import { type CallOptions, call, expectBody } from "./api";
import { setAppRoles } from "./identity-consent";
import { allMessages, setGraphTenant } from "./mailbox-harness";

/**
 * Shared by test/mailboxes-live-*.test.ts: a Worker whose live sync settings come from the connect
 * request (the mailbox's Durable Object keeps the settings it was started with), the real queue and its
 * consumer (wrangler.toml, run by Miniflare), and waits on what a user sees.
 */

export const PUBLIC_BASE_URL = "https://worker.test";

export function liveApi(vars: Partial<Record<string, string>> = {}) {
  const overrides = {
    MAILBOX_POLL_INTERVAL_SECONDS: "1",
    MAILBOX_BACKSTOP_POLL_SECONDS: "3600",
    ...vars,
  } as unknown as Partial<AppEnv>;
  return <T = unknown>(method: string, path: string, options: CallOptions = {}) =>
    call<T>(method, path, { ...options, env: overrides });
}

export type LiveApi = ReturnType<typeof liveApi>;

export async function liveStatus(api: LiveApi, org: string, email: string) {
  return expectBody(
    await api("GET", `/v2/outlook/mailbox/${encodeURIComponent(email)}/live`, { org }),
    200,
    MailboxLiveSyncSchema,
  );
}

/** Polls `probe` every 100 ms until it answers true; fails after `timeoutMs`. */
export async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The graph ids listed in the org's default inbox. */
export async function listedIds(api: LiveApi, org: string) {
  return (await allMessages(api as never, org)).map((m) => m.graph_id);
}

/**
 * The application permission Mail.Read granted for `tenant` outside our flows (as in the Azure portal):
 * the identity stand-in's client-credentials tokens carry it in `roles`, and the fake Graph lets them in.
 */
export async function grantAdminConsent(tenant: string, minExpirationMinutes?: number) {
  await setAppRoles(tenant, ["Mail.Read"]);
  if (minExpirationMinutes !== undefined) {
    await setGraphTenant(tenant, { min_expiration_minutes: minExpirationMinutes });
  }
}

/** Runs the mailbox object's alarm now (the next poll or renewal, whatever is due). */
export async function pokeAlarm(org: string, email: string) {
  const { runDurableObjectAlarm } = await import("cloudflare:test");
  return runDurableObjectAlarm(lockStub(servicesFor(env as unknown as AppEnv), org, email));
}

export { expect };
