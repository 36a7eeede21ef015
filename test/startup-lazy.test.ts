import { describe, expect, it } from "vitest";
import { call, uniqueOrg } from "./helpers/api";

// src/index.ts builds the app (every area router and its schemas) on the first request instead of at
// startup. Requests that arrive together before it is built wait for that one build and are answered as
// they are later. This file's first test is the first request its isolate sees.
describe("the app, built on the first request", () => {
  it("answers every request of a first burst as it answers them once built", async () => {
    const org = uniqueOrg();
    const burst = () =>
      Promise.all([
        call("GET", "/openapi.json", { token: null }),
        call("GET", "/v2/email-settings/email-addresses", { org }),
        call("GET", "/v2/email-settings/email-addresses", { token: null }),
        call("POST", "/v1/email-settings/domain", { token: null, body: {} }),
        call("GET", "/no-such-route", { token: null }),
      ]);
    const first = await burst();
    const later = await burst();
    expect(first.map((response) => response.status)).toEqual([200, 200, 401, 401, 404]);
    expect(first.map((response) => response.body)).toEqual(later.map((response) => response.body));
  });
});
