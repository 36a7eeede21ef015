import { env } from "cloudflare:workers";
import { z } from "@hono/zod-openapi";
import { call, expectBody, expectError, uniqueOrg } from "@test/helpers/api";
import { describe, expect, it } from "vitest";
import { SharedInboxResponseSchema } from "@/features/shared-inboxes/shared-inboxes.schemas";

const InboxListSchema = z.array(SharedInboxResponseSchema);

/**
 * Control-plane reads through D1 read replication: every answer carries the bookmark of the D1 session it
 * ran in; a client that sends it back reads at least that new (its own writes); a value that is not a
 * bookmark is a 400 that says so.
 */

const BOOKMARK = /^[0-9a-f]{8}(-[0-9a-f]+)+$/;

describe("D1 sessions and the x-d1-bookmark header", () => {
  it("a read answers the bookmark of its session", async () => {
    const response = await call("GET", "/v2/email-settings/shared-inboxes", { org: uniqueOrg("bookmark") });
    expectBody(response, 200, InboxListSchema);
    expect(response.headers.get("x-d1-bookmark")).toMatch(BOOKMARK);
  });

  it("a write answers its bookmark, and a read sent with it sees the write", async () => {
    const org = uniqueOrg("bookmark");
    const created = await call("POST", "/v2/email-settings/shared-inboxes", {
      org,
      body: { name: "Zählerstände", color: "#2196F3" },
    });
    const inbox = expectBody(created, 201, SharedInboxResponseSchema);
    const bookmark = created.headers.get("x-d1-bookmark");
    expect(bookmark).toMatch(BOOKMARK);

    const read = await call("GET", "/v2/email-settings/shared-inboxes", {
      org,
      headers: { "x-d1-bookmark": bookmark as string },
    });
    const inboxes = expectBody(read, 200, InboxListSchema);
    expect(inboxes.map((item) => item.id)).toContain(inbox.id);
    // The read's own bookmark is at least as new as the one it was sent with.
    expect((read.headers.get("x-d1-bookmark") as string) >= (bookmark as string)).toBe(true);
  });

  it("reads anchor at the bookmark sent (else anywhere), writes start on the primary", async () => {
    const anchors: (string | undefined)[] = [];
    const DB = new Proxy(env.DB, {
      get(target, key) {
        if (key !== "withSession") return Reflect.get(target, key, target);
        return (constraint?: string) => {
          anchors.push(constraint);
          return target.withSession(constraint);
        };
      },
    });
    const org = uniqueOrg("bookmark");
    const path = "/v2/email-settings/shared-inboxes";
    const created = await call("POST", path, { org, env: { DB }, body: { name: "Abschlag", color: "#2196F3" } });
    const bookmark = created.headers.get("x-d1-bookmark") as string;
    await call("GET", path, { org, env: { DB } });
    await call("GET", path, { org, env: { DB }, headers: { "x-d1-bookmark": bookmark } });
    // The sign-in flow's GETs write OAuth state or read what the redirect before them wrote: the primary.
    await call("GET", "/v2/outlook/connect", { org, env: { DB } });
    await call("GET", "/v2/outlook/oauth/callback?code=x&state=y", { token: null, env: { DB } });
    expect(anchors).toEqual(["first-primary", "first-unconstrained", bookmark, "first-primary", "first-primary"]);
  });

  it("refuses a value that is not a bookmark with a 400 ErrorResponse, before touching data", async () => {
    for (const value of ["not a bookmark", "'; DROP TABLE settings; --", "0".repeat(129), "deadbeef", "abc"]) {
      const response = await call("GET", "/v2/email-settings/shared-inboxes", {
        org: uniqueOrg("bookmark"),
        headers: { "x-d1-bookmark": value },
      });
      expectError(response, 400, /x-d1-bookmark: not a bookmark this API returned/);
    }
  });
});
