import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { createDohResolver } from "@/clients/dns";
import { DomainSettingSchema } from "@/features/domains/domains.schemas";
import { call, uniqueOrg } from "../test/helpers/api";

/**
 * `npm run bench`: verifyDomain against dnsdist delaying every DoH answer by TEST_DNS_DELAY_MS (200 ms).
 * A verification asks five questions (TXT, MX at the domain, two DKIM CNAMEs, DMARC TXT); asked one after
 * another they would take five delays, asked concurrently about one.
 */
const RUNS = 15;

function stats(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { median: at(0.5), p90: at(0.9), min: sorted[0] ?? Number.NaN, max: sorted[sorted.length - 1] ?? Number.NaN };
}

async function publish(zone: string, records: { name: string; type: string; data: string }[]) {
  const response = await fetch(`${env.TEST_DNS_ADMIN_URL}/zones/${zone}`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ records }),
  });
  if (response.status !== 204) throw new Error(`zone update failed: ${await response.text()}`);
}

async function timeVerify(org: string, domain: string): Promise<{ ms: number; status: string }> {
  const started = performance.now();
  const response = await call("POST", "/v1/email-settings/domain:verify", { org, body: { domain } });
  const ms = performance.now() - started;
  if (response.status !== 200)
    throw new Error(`verifyDomain answered ${response.status}: ${JSON.stringify(response.body)}`);
  return { ms, status: DomainSettingSchema.parse(response.body).status };
}

it(`verifyDomain with a resolver that delays every answer`, async () => {
  if (env.TEST_DNS_UNAVAILABLE) throw new Error(`DNS servers did not start: ${env.TEST_DNS_UNAVAILABLE}`);
  const delay = Number(env.TEST_DNS_DELAY_MS);
  const org = uniqueOrg("bench");
  const domain = `bench-${crypto.randomUUID().slice(0, 8)}.com`;
  const added = DomainSettingSchema.parse(
    (await call("POST", "/v1/email-settings/domain", { org, body: { domain } })).body,
  );

  const rows: Record<string, ReturnType<typeof stats> & { runs: number; status: string }> = {};

  // Nothing published: five lookups, then one more concurrent round for the doubled-zone check of the
  // three missing names below the domain (DKIM x2, DMARC), so about two delays.
  await publish(domain, []);
  await timeVerify(org, domain); // warm-up (connections, isolate)
  const missing: number[] = [];
  let missingStatus = "";
  for (let i = 0; i < RUNS; i++) {
    const run = await timeVerify(org, domain);
    missing.push(run.ms);
    missingStatus = run.status;
  }
  rows["nothing published"] = { ...stats(missing), runs: RUNS, status: missingStatus };

  // Everything published: the common path, one round of five concurrent lookups.
  await publish(
    domain,
    added.dns_records.map((r) => ({
      name: `${r.name}.`,
      type: r.type,
      data: r.type === "TXT" ? `"${r.value}"` : r.type === "MX" ? `${r.priority} ${r.value}.` : `${r.value}.`,
    })),
  );
  const verified: number[] = [];
  let verifiedStatus = "";
  for (let i = 0; i < RUNS; i++) {
    const run = await timeVerify(org, domain);
    verified.push(run.ms);
    verifiedStatus = run.status;
  }
  rows["all records published"] = { ...stats(verified), runs: RUNS, status: verifiedStatus };

  // Baseline, measured in the same run: the same five questions asked one after another through the
  // same resolver module, as a verification without concurrency would.
  const resolver = createDohResolver({ url: env.DOH_URL, timeoutMs: 10_000 });
  const questions = [
    [domain, "TXT"],
    [domain, "MX"],
    [`epilot1._domainkey.${domain}`, "CNAME"],
    [`epilot2._domainkey.${domain}`, "CNAME"],
    [`_dmarc.${domain}`, "TXT"],
  ] as const;
  const sequential: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    for (const [name, type] of questions) await resolver.lookup(name, type);
    sequential.push(performance.now() - started);
  }
  rows["baseline: 5 sequential"] = { ...stats(sequential), runs: RUNS, status: "-" };
  const ratio =
    (rows["all records published"]?.median ?? Number.NaN) / (rows["baseline: 5 sequential"]?.median ?? Number.NaN);

  const lines = [
    `verifyDomain, resolver delay ${delay} ms per answer (dnsdist DelayAction), ${added.dns_records.length} records / 5 DNS questions`,
    "case                   | status              | runs | median ms | p90 ms | min ms | max ms",
    ...Object.entries(rows).map(
      ([name, r]) =>
        `${name.padEnd(22)} | ${r.status.padEnd(19)} | ${String(r.runs).padStart(4)} | ${r.median.toFixed(0).padStart(9)} | ${r.p90
          .toFixed(0)
          .padStart(6)} | ${r.min.toFixed(0).padStart(6)} | ${r.max.toFixed(0).padStart(6)}`,
    ),
    `one delay = ${delay} ms; verifyDomain (all published) / sequential baseline = ${ratio.toFixed(2)}`,
  ];
  console.log(`\n${lines.join("\n")}\n`);

  expect(verifiedStatus).toBe("verified");
  // Near one delay, far from one per record.
  expect(rows["all records published"]?.median).toBeLessThan(2 * delay);
  expect(rows["nothing published"]?.median).toBeLessThan(3 * delay);
});
