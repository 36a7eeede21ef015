import { HOSTILE_FAMILIES } from "@test/fixtures/hostile-html";
import { call, expectError, uniqueOrg } from "@test/helpers/api";
import { add, list, SETTINGS, signature } from "@test/helpers/settings";
import { unsafeParts } from "@test/helpers/xss-oracle";
import { describe, expect, it } from "vitest";

/**
 * Signatures whose markup costs more than its length to parse, through `POST /v1/email-settings`: at
 * 16 and 64 KB they are stored bounded, safe and stable (a read serves what was stored), at 256 KB they are
 * refused with 400 before any parsing. Before the parse budget, a 42-58 KB signature of the formatting
 * family cost 4-7 s of CPU per write and per read.
 */

const KiB = 1024;

describe.each(HOSTILE_FAMILIES)("signature of the $name family", (family) => {
  it.each([16, 64])("%i KB: stored bounded and safe, read back as stored", async (size) => {
    const org = uniqueOrg("hostile-sig");
    const html = family.make(size * KiB).slice(0, 64 * KiB);
    const stored = await add(org, signature({ html }));
    const markup = String(stored.html ?? "");
    expect(markup.length).toBeLessThanOrEqual(4 * html.length + KiB);
    expect(unsafeParts(markup)).toEqual([]);
    const [read] = await list(org, "signature");
    expect(read?.html).toBe(stored.html);
  });

  it("256 KB: 400 naming the limit, nothing stored", async () => {
    const org = uniqueOrg("hostile-sig");
    const body = signature({ html: family.make(256 * KiB) });
    expectError(await call("POST", SETTINGS, { org, body }), 400, /html.*65536/);
    expect(await list(org, "signature")).toEqual([]);
  });
});
