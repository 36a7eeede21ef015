import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { getDb } from "@/db/client";
import { outlookOAuthStates } from "@/db/schema";
import type { AppEnv } from "@/lib/types";
import { ConnectOutlookResponseSchema } from "@/schemas/outlook";
import { call, expectBody, expectError, uniqueOrg } from "./helpers/api";

/**
 * `.dev.vars.example` ships a published token encryption key (id `local-dev-only`) so the Outlook flow
 * works under `npm start`. A deployment that carries it by mistake must not seal anything with it.
 */
const DEV_KEYS = "local-dev-only:REwCIu4jKewkcywpFUGqQ04g0tRI7CygHQhewBhZ7F0=";
const devEnv: Partial<AppEnv> = { TOKEN_ENCRYPTION_KEYS: DEV_KEYS };

async function statesOf(org: string) {
  const rows = await getDb(env.DB).select().from(outlookOAuthStates);
  return rows.filter((row) => row.orgId === org);
}

describe("the development encryption key of .dev.vars.example", () => {
  it("is refused off localhost: connectOutlook answers 503 naming it, seals nothing and warns once", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const org = uniqueOrg();
    const response = await call("GET", "/v2/outlook/connect", { org, env: devEnv });
    expectError(response, 503, /development key from \.dev\.vars\.example.*wrangler secret put TOKEN_ENCRYPTION_KEYS/);
    expect(await statesOf(org)).toEqual([]);
    await call("GET", "/v2/outlook/connect", { org, env: devEnv });
    const warnings = warn.mock.calls.filter(([line]) => String(line).includes("local_dev_encryption_key"));
    expect(warnings.length).toBeLessThanOrEqual(1);
    warn.mockRestore();
  });

  it("is refused for the mailbox operations too", async () => {
    const response = await call("GET", "/v2/outlook/mailbox/mappings", { org: uniqueOrg(), env: devEnv });
    expectError(response, 503, /development key/);
  });

  it("works on localhost, where npm start runs the Worker", async () => {
    const org = uniqueOrg();
    const response = await call("GET", "/v2/outlook/connect", { org, env: devEnv, baseUrl: "http://localhost:8787" });
    expectBody(response, 200, ConnectOutlookResponseSchema);
    expect(await statesOf(org)).toHaveLength(1);
  });

  it("leaves the operations that seal nothing alone", async () => {
    const response = await call("GET", "/v2/email-settings/email-addresses", { org: uniqueOrg(), env: devEnv });
    expect(response.status).toBe(200);
  });
});
