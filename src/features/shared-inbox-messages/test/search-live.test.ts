import { runDurableObjectAlarm } from "cloudflare:test";
import { uniqueOrg } from "@test/helpers/api";
import { connectedMailbox } from "@test/helpers/fixtures";
import { liveApi, liveStatus, waitFor } from "@test/helpers/live-harness";
import { deleteGraphMessage, moveGraphMessage, updateGraphMessage } from "@test/helpers/mailbox-harness";
import {
  addFakeGraphMail,
  mail,
  objectMailbox,
  type SearchParams,
  type SearchRow,
  search,
  searchAll,
  subjectsFound,
} from "@test/helpers/search";
import { describe, expect, it } from "vitest";
import { searchableBody } from "@/shared/search-text";

/**
 * A search follows live sync: a message matches as soon as its delta page is written, an update changes what
 * matches (the old words no longer do), a deleted message never matches again, a moved one matches in its new
 * folder only. At the mailbox object (delta pages written as live sync writes them) and through the real live
 * pipeline (fake Graph, polling, queue, object).
 */

const MAILBOX = "live@stadtwerke.example";

/** The same message as Graph's newer version: its id kept by the object, new words, modified `later`. */
function newerVersion(row: SearchRow, changes: { subject?: string; body?: string; folder?: "inbox" | "sentitems" }) {
  const later = new Date(Date.parse(row.graph_modified_at ?? row.sort_at) + 60_000).toISOString();
  return {
    ...row,
    uid: crypto.randomUUID(),
    ...(changes.subject !== undefined && { subject: changes.subject }),
    ...(changes.folder !== undefined && { folder: changes.folder }),
    ...(changes.body !== undefined && { search_body: searchableBody(changes.body, row.body_content_type) }),
    graph_modified_at: later,
  };
}

const ids = async (org: string, params: SearchParams) => (await searchAll(org, params)).messages.map((m) => m.id);

describe("search follows live changes (mailbox object, delta pages)", () => {
  it("a new message matches at once after its page is written", async () => {
    const org = uniqueOrg("search-live");
    const box = await objectMailbox(org, MAILBOX);
    expect(await subjectsFound(org, "wasserrohrbruch")).toEqual([]);
    const row = mail({ subject: "Wasserrohrbruch im Keller", body: "<p>Bitte Notdienst schicken</p>" });
    await box.add([row]);
    expect(await ids(org, { q: "wasserrohrbruch" })).toEqual([row.uid]);
    expect(await ids(org, { q: "notdienst" })).toEqual([row.uid]);
  });

  it("an update changes what matches: the old subject and body no longer do, the new ones do, the id stays", async () => {
    const org = uniqueOrg("search-live");
    const box = await objectMailbox(org, MAILBOX);
    const row = mail({ subject: "Wasserrohrbruch im Keller", body: "<p>Bitte Notdienst schicken</p>" });
    await box.add([row]);
    const updated = newerVersion(row, { subject: "Heizungsausfall", body: "<p>Techniker kommt morgen</p>" });
    await box.add([updated]);
    expect(await ids(org, { q: "heizungsausfall" })).toEqual([row.uid]);
    expect(await ids(org, { q: "techniker" })).toEqual([row.uid]);
    expect(await ids(org, { q: "wasserrohrbruch" })).toEqual([]);
    expect(await ids(org, { q: "notdienst" })).toEqual([]);
    // A replayed older page changes nothing.
    await box.add([{ ...row, uid: crypto.randomUUID() }]);
    expect(await ids(org, { q: "wasserrohrbruch" })).toEqual([]);
    expect(await ids(org, { q: "heizungsausfall" })).toEqual([row.uid]);
  });

  it("a deleted (tombstoned) message never matches: words, filters or the listing, after later pages and alarms", async () => {
    const org = uniqueOrg("search-live");
    const box = await objectMailbox(org, MAILBOX);
    const gone = mail({ subject: "Kündigung Vertrag", from_address: "kunde@example.de" });
    const stays = mail({ subject: "Kündigung Zeitung", from_address: "kunde@example.de" });
    await box.add([gone, stays]);
    // A removal reported by the other folder touches nothing.
    await box.write("sentitems", { removed: [gone.graph_id] });
    expect((await ids(org, { q: "kündigung" })).sort()).toEqual([gone.uid, stays.uid].sort());
    const removal = await box.write("inbox", { removed: [gone.graph_id] });
    expect(removal.tombstoned).toEqual([gone.graph_id]);
    await box.add([mail({ subject: "Kündigung später" })]);
    await runDurableObjectAlarm(box.stub);
    for (const params of [{ q: "vertrag" }, { q: "kündigung vertrag" }, { from: "kunde@example.de", q: "vertrag" }]) {
      expect(await ids(org, params), JSON.stringify(params)).toEqual([]);
    }
    expect(await ids(org, { from: "kunde@example.de" })).toEqual([stays.uid]);
    expect((await search(org, {})).messages.map((m) => m.id)).not.toContain(gone.uid);
    expect(await subjectsFound(org, "kündigung")).toEqual(["Kündigung Zeitung", "Kündigung später"].sort());
  });

  it("a deleted message that comes back (a newer version) matches again, with its id", async () => {
    const org = uniqueOrg("search-live");
    const box = await objectMailbox(org, MAILBOX);
    const row = mail({ subject: "Rückruf erbeten" });
    await box.add([row]);
    await box.write("inbox", { removed: [row.graph_id] });
    expect(await ids(org, { q: "rückruf" })).toEqual([]);
    await box.add([newerVersion(row, { subject: "Rückruf erbeten (wieder da)" })]);
    expect(await ids(org, { q: "rückruf wieder" })).toEqual([row.uid]);
  });

  for (const order of ["created in sentitems first", "removed from inbox first"] as const) {
    it(`a message moved to sentitems matches with folder=sentitems, not folder=inbox (${order})`, async () => {
      const org = uniqueOrg("search-live");
      const box = await objectMailbox(org, MAILBOX);
      const row = mail({ subject: "Angebot Solaranlage" });
      await box.add([row]);
      expect(await ids(org, { q: "solaranlage", folder: "inbox" })).toEqual([row.uid]);
      const moved = newerVersion(row, { folder: "sentitems" });
      if (order === "created in sentitems first") {
        await box.write("sentitems", { rows: [moved] });
        await box.write("inbox", { removed: [row.graph_id] });
      } else {
        await box.write("inbox", { removed: [row.graph_id] });
        await box.write("sentitems", { rows: [moved] });
      }
      expect(await ids(org, { q: "solaranlage", folder: "sentitems" })).toEqual([row.uid]);
      expect(await ids(org, { q: "solaranlage", folder: "inbox" })).toEqual([]);
      expect(await ids(org, { q: "solaranlage" })).toEqual([row.uid]);
    });
  }
});

const POLL_BOUND_MS = 1_000 + 10_000;

describe("search follows live sync through the real pipeline (polling)", { timeout: 60_000 }, () => {
  it("new mail matches within a poll; an update, a move and a deletion change what matches", async () => {
    const api = liveApi();
    const { org, email } = await connectedMailbox(api, { name: "search-live" });
    await waitFor("the first delta run", async () => (await liveStatus(api, org, email)).last_delta_at !== null);
    const found = (params: Record<string, string>) =>
      searchAll(org, params, 100, "default", api as never).then((r) => r.messages.map((m) => m.graph_id));
    const until = (what: string, params: Record<string, string>, expected: string[]) =>
      waitFor(what, async () => JSON.stringify(await found(params)) === JSON.stringify(expected), POLL_BOUND_MS);

    const first = await addFakeGraphMail(email, {
      subject: "Wasserrohrbruch im Keller",
      body_html: "<p>Bitte Notdienst schicken</p><script>geheimwort()</script>",
    });
    await until("the new message to match", { q: "wasserrohrbruch" }, [first.id]);
    expect(await found({ q: "notdienst" })).toEqual([first.id]);
    expect(await found({ q: "geheimwort" })).toEqual([]);

    await updateGraphMessage(email, first.id, { subject: "Heizungsausfall", body_html: "<p>Techniker morgen</p>" });
    await until("the update to match", { q: "heizungsausfall techniker" }, [first.id]);
    expect(await found({ q: "wasserrohrbruch" })).toEqual([]);
    expect(await found({ q: "notdienst" })).toEqual([]);

    await moveGraphMessage(email, first.id, "sentitems");
    await until("the move", { q: "heizungsausfall", folder: "sentitems" }, [first.id]);
    expect(await found({ q: "heizungsausfall", folder: "inbox" })).toEqual([]);

    await deleteGraphMessage(email, first.id);
    await until("the deletion", { q: "heizungsausfall" }, []);
    // Several polls later it still does not match.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(await found({ q: "heizungsausfall" })).toEqual([]);
    expect(await found({ q: "techniker" })).toEqual([]);
  });
});
