import { expectBody, uniqueOrg } from "@test/helpers/api";
import { browse, expectOutlookError, FlowBrowser, newTenant, newUser, status } from "@test/helpers/outlook-flow";
import { beforeEach, describe, expect, it } from "vitest";
import { OAuthCallbackResponseSchema } from "@/features/outlook/outlook.schemas";
import type { AppEnv } from "@/lib/types";

/**
 * Which config the id_token check of the connect flow follows (the signature, audience and issuer checks
 * are in outlook.test.ts "id_token validation").
 */

let browser: FlowBrowser;
beforeEach(() => {
  browser = new FlowBrowser();
});

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Signs in at Microsoft as a user of a tenant whose id_tokens carry `claims`; the callback runs with `env`. */
async function signIn(claims: Record<string, unknown>, env: Partial<AppEnv>) {
  const org = uniqueOrg();
  const tid = await newTenant({ id_token_claims: claims });
  const user = await newUser(tid);
  const back = await browse(await browser.authorizationUrl(org), user.login);
  return { org, tid, response: await browser.callback(back, { env }) };
}

describe("id_token times", () => {
  it("allow JWT_CLOCK_SKEW_SECONDS of skew, 60 s when it is unset, as for bearer tokens", async () => {
    // Expired two minutes ago: inside a 300 s skew, outside the default 60 s.
    const expired = { exp: nowSeconds() - 120 };
    const unset = await signIn(expired, { JWT_CLOCK_SKEW_SECONDS: undefined });
    expect(expectOutlookError(unset.response, 400, "invalid_id_token").error_description).toMatch(/expired/);
    expect((await status(unset.org)).connections).toEqual([]);

    const tolerant = await signIn(expired, { JWT_CLOCK_SKEW_SECONDS: "600" });
    expectBody(tolerant.response, 200, OAuthCallbackResponseSchema);
    expect((await status(tolerant.org)).connections).toMatchObject([{ tenant_id: tolerant.tid }]);
  });

  it("do not follow JWT_MAX_TOKEN_LIFETIME_SECONDS, which bounds this API's own bearer tokens", async () => {
    // Microsoft's id_tokens live an hour; a deployment that caps bearer tokens at 10 minutes still connects.
    const { org, tid, response } = await signIn(
      { exp: nowSeconds() + 3600 },
      { JWT_MAX_TOKEN_LIFETIME_SECONDS: "600" },
    );
    expectBody(response, 200, OAuthCallbackResponseSchema);
    expect((await status(org)).connections).toMatchObject([{ tenant_id: tid }]);
  });
});
