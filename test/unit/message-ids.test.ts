import { describe, expect, it } from "vitest";
import { mailboxKey, mailboxKeyOf, newMessageId } from "@/shared/message-ids";

/** Message ids that lead to their mailbox's object: UUIDs (version 8) carrying the mailbox's key. */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("message ids of mail in a mailbox object", () => {
  it("are RFC 9562 version 8 UUIDs that carry the mailbox's key, and are unique", async () => {
    const key = await mailboxKey("org-a", "service@stadtwerke.example");
    expect(key).toMatch(/^[0-9a-f]{12}$/);
    const ids = Array.from({ length: 2000 }, () => newMessageId(key));
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) {
      expect(id).toMatch(UUID);
      expect(id[14]).toBe("8");
      expect("89ab").toContain(id[19]);
      expect(mailboxKeyOf(id)).toBe(key);
    }
  });

  it("name one mailbox of one org: another address or another org has another key", async () => {
    const keys = new Set(
      await Promise.all([
        mailboxKey("org-a", "service@stadtwerke.example"),
        mailboxKey("org-a", "billing@stadtwerke.example"),
        mailboxKey("org-b", "service@stadtwerke.example"),
      ]),
    );
    expect(keys.size).toBe(3);
    expect(await mailboxKey("org-a", "service@stadtwerke.example")).toBe(
      await mailboxKey("org-a", "service@stadtwerke.example"),
    );
  });

  it("ids issued before (version 4) and anything else carry no key", () => {
    expect(mailboxKeyOf(crypto.randomUUID())).toBeNull();
    for (const id of ["", "not-an-id", "0123456789ab-8000-8000-000000000000", "ABCDEF01-2345-8678-9abc-def012345678"]) {
      expect(mailboxKeyOf(id)).toBeNull();
    }
  });
});
