import { env } from "cloudflare:workers";
import { uniqueOrg } from "@test/helpers/api";
import { eq, inArray } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { DnsRecordType, DnsResolver, LookupResult } from "@/clients/dns";
import { getDb } from "@/db/client";
import { domainVerifications } from "@/db/schema";
import { servicesFor } from "@/entry/services";
import { addDomain, type DomainConfig, domainConfig } from "@/features/domains/domains";
import { RECHECK_CLAIM_MS, recheckDueDomains } from "@/features/domains/recheck";
import type { AppEnv } from "@/lib/types";

/**
 * The scheduled re-check against the real D1 schema, with an in-memory resolver. Every test puts its own
 * domains due at its own instant in 2001 and runs the re-check for that instant, so only its domains are
 * due; afterEach parks them in the far future.
 */
const db = getDb(env.DB);
const services = servicesFor(env as unknown as AppEnv);
const baseConfig = (batch: number): DomainConfig => ({
  ...domainConfig(services),
  recheckBatchSize: batch,
  maxDomainsPerOrg: 1000,
});

let created: string[] = [];
afterEach(async () => {
  if (created.length > 0) {
    await db
      .update(domainVerifications)
      .set({ nextCheckAt: "9999-01-01T00:00:00.000Z" })
      .where(inArray(domainVerifications.settingId, created))
      .run();
  }
  created = [];
});

let instant = Date.UTC(2001, 0, 1);
/** A fresh instant per test, an hour after the previous one. */
const nextInstant = () => {
  instant += 3_600_000;
  return instant;
};

/** Adds `count` domains to `org`, due at `dueAt + offset(i)` ms; returns their names in order. */
async function seed(org: string, count: number, dueAt: number, offset = (i: number) => i) {
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = `d${i}-${crypto.randomUUID().slice(0, 8)}.${org}.com`;
    const entry = await addDomain(db, org, null, name, baseConfig(25));
    created.push(entry.setting.id);
    await db
      .update(domainVerifications)
      .set({ nextCheckAt: new Date(dueAt + offset(i)).toISOString() })
      .where(eq(domainVerifications.settingId, entry.setting.id))
      .run();
    names.push(name);
  }
  return names;
}

const empty: LookupResult = { status: "empty", rcode: "NXDOMAIN", cnames: [] };

/** Answers NXDOMAIN for everything and counts checks: one `TXT <domain>` lookup per check of a domain. */
function countingResolver(answer: (name: string, type: DnsRecordType) => Promise<LookupResult> = async () => empty) {
  const checks = new Map<string, number>();
  const resolver: DnsResolver = {
    lookup(name, type) {
      if (type === "TXT" && !name.startsWith("_dmarc.")) checks.set(name, (checks.get(name) ?? 0) + 1);
      return answer(name, type);
    },
  };
  return { resolver, checks };
}

async function stateOf(name: string) {
  const row = await db.select().from(domainVerifications).where(eq(domainVerifications.domain, name)).get();
  if (!row) throw new Error(`no state for ${name}`);
  return row;
}

describe("scheduled domain re-check: fair across organizations", () => {
  it("one org's backlog of old domains does not starve other orgs' due domains", async () => {
    const at = nextInstant();
    const big = uniqueOrg("big");
    const small = [uniqueOrg("s1"), uniqueOrg("s2")];
    // The big org's 30 domains are all older (due earlier) than any of the small orgs' domains.
    const bigNames = await seed(big, 30, at - 600_000);
    const smallNames = [
      ...(await seed(small[0] as string, 2, at - 1000)),
      ...(await seed(small[1] as string, 2, at - 1000)),
    ];
    const { resolver, checks } = countingResolver();

    const summary = await recheckDueDomains(services, new Date(at), { resolver, config: baseConfig(10) });

    expect(summary).toEqual({ checked: 10, failed: 0, resolverUnreachable: false });
    // Both small orgs get both their domains in this run; the big org fills the rest, oldest first.
    for (const name of smallNames) expect(checks.get(name), name).toBe(1);
    expect(bigNames.filter((name) => checks.has(name))).toEqual(bigNames.slice(0, 6));
    for (const name of [...smallNames, ...bigNames.slice(0, 6)]) {
      const state = await stateOf(name);
      expect(state.lastCheckedAt).not.toBeNull();
      expect(Date.parse(state.nextCheckAt)).toBeGreaterThan(Date.now());
    }
    // The big org's remaining backlog is still due for the next runs.
    for (const name of bigNames.slice(6)) expect(Date.parse((await stateOf(name)).nextCheckAt)).toBeLessThan(at);
  });
});

describe("scheduled domain re-check: claims", () => {
  it("a run that dies mid-check leaves its domain out of the head of the queue until the claim lapses", async () => {
    const at = nextInstant();
    const org = uniqueOrg("killed");
    const [stuck, ...others] = await seed(org, 4, at - 10_000, (i) => i * 1000);
    // The first run hangs inside the first domain's lookups, as one killed at the CPU limit never finishes.
    let unblock: (result: LookupResult) => void = () => undefined;
    const hanging = new Promise<LookupResult>((resolve) => {
      unblock = resolve;
    });
    const first = countingResolver(async (name) => (name.endsWith(stuck as string) ? hanging : empty));
    const killedRun = recheckDueDomains(services, new Date(at), { resolver: first.resolver, config: baseConfig(10) });
    await vi.waitFor(async () => expect(Date.parse((await stateOf(stuck as string)).nextCheckAt)).toBeGreaterThan(at), {
      timeout: 5000,
      interval: 5,
    });

    // The claim moved it past the run's time, by the claim interval from now.
    const claimed = await stateOf(stuck as string);
    expect(Date.parse(claimed.nextCheckAt)).toBeGreaterThanOrEqual(Date.now() + RECHECK_CLAIM_MS - 60_000);
    expect(claimed.lastCheckedAt).toBeNull();

    // The next run checks the other due domains and leaves the claimed one alone.
    const second = countingResolver();
    const summary = await recheckDueDomains(services, new Date(at), {
      resolver: second.resolver,
      config: baseConfig(10),
    });
    expect(summary.checked).toBe(3);
    expect(second.checks.has(stuck as string)).toBe(false);
    for (const name of others) expect(second.checks.get(name)).toBe(1);

    // Once the claim has lapsed, the domain is due again and gets checked.
    const later = countingResolver();
    const afterLapse = Date.parse(claimed.nextCheckAt) + 1000;
    await recheckDueDomains(services, new Date(afterLapse), { resolver: later.resolver, config: baseConfig(10) });
    expect(later.checks.get(stuck as string)).toBe(1);
    expect((await stateOf(stuck as string)).lastCheckedAt).not.toBeNull();

    // The first run, when it does go on, checks none of the domains the others took meanwhile.
    unblock(empty);
    await killedRun;
    for (const name of others) expect(first.checks.has(name)).toBe(false);
  });

  it("two runs at the same time never check the same domain", async () => {
    const at = nextInstant();
    const orgs = [uniqueOrg("c1"), uniqueOrg("c2")];
    const names = [...(await seed(orgs[0] as string, 4, at - 5000)), ...(await seed(orgs[1] as string, 3, at - 5000))];
    const slow = async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return empty;
    };
    const a = countingResolver(slow);
    const b = countingResolver(slow);
    const [ra, rb] = await Promise.all([
      recheckDueDomains(services, new Date(at), { resolver: a.resolver, config: baseConfig(10) }),
      recheckDueDomains(services, new Date(at), { resolver: b.resolver, config: baseConfig(10) }),
    ]);
    expect(ra.checked + rb.checked).toBe(names.length);
    for (const name of names) expect((a.checks.get(name) ?? 0) + (b.checks.get(name) ?? 0), name).toBe(1);
  });

  it("an unreachable resolver gives the claimed domain back: it stays due as before", async () => {
    const at = nextInstant();
    const org = uniqueOrg("unreachable");
    const [name] = await seed(org, 1, at - 5000);
    const before = await stateOf(name as string);
    const { resolver } = countingResolver(async () => ({
      status: "error",
      reason: "connection refused",
      unreachable: true,
    }));
    const summary = await recheckDueDomains(services, new Date(at), { resolver, config: baseConfig(10) });
    expect(summary).toEqual({ checked: 0, failed: 0, resolverUnreachable: true });
    const after = await stateOf(name as string);
    expect(after.nextCheckAt).toBe(before.nextCheckAt);
    expect(after.lastCheckedAt).toBeNull();
  });
});
