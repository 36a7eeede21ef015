import type { DnsResolver } from "@/clients/dns";
import type { StoredNameServerCheck } from "@/db/schema";
import type { DomainConfig } from "./config";
import { ResolverUnreachableError } from "./errors";

type NameServerResult = StoredNameServerCheck["results"][number];

/** One line on what to change at the registrar so that `results` all pass. */
function delegationHint(domain: string, expected: string[], found: string[], results: NameServerResult[]): string {
  if (results.every((r) => r.status === "pass")) return `${domain} is delegated to the platform name servers.`;
  if (found.length === 0) {
    return `No NS records found for ${domain}; at your registrar, delegate it to ${expected.join(", ")}.`;
  }
  const missing = results.filter((r) => r.expected && !r.found).map((r) => r.name_server);
  const extra = results.filter((r) => !r.expected && r.found).map((r) => r.name_server);
  return (
    `At your registrar, set the name servers of ${domain} to exactly ${expected.join(", ")}` +
    `${missing.length ? ` (missing: ${missing.join(", ")})` : ""}${extra.length ? ` (remove: ${extra.join(", ")})` : ""}.`
  );
}

/**
 * Compares the NS set of `domain` with the platform name servers (order and case ignored), one result per
 * name server in either set. A lookup error is an `error` check; an unreachable resolver throws (502).
 */
export async function checkNameServers(
  domain: string,
  resolver: DnsResolver,
  config: DomainConfig,
  now: string,
): Promise<StoredNameServerCheck> {
  const expected = [...config.nameServers].sort();
  const result = await resolver.lookup(domain, "NS");
  if (result.status === "error" && result.unreachable) throw new ResolverUnreachableError(result.reason);
  if (result.status === "error") {
    return {
      status: "error",
      expected,
      found: [],
      results: expected.map((ns) => ({ name_server: ns, expected: true, found: false, status: "fail" as const })),
      reason: result.reason,
      hint: `Could not look up the NS records of ${domain} (${result.reason}); check again later.`,
      checked_at: now,
    };
  }
  const found = [
    ...new Set(result.status === "found" ? result.records.flatMap((r) => (r.type === "NS" ? [r.value] : [])) : []),
  ].sort();
  const results = [...new Set([...expected, ...found])].sort().map((ns): NameServerResult => {
    const isExpected = expected.includes(ns);
    const isFound = found.includes(ns);
    return { name_server: ns, expected: isExpected, found: isFound, status: isExpected && isFound ? "pass" : "fail" };
  });
  const pass = results.every((r) => r.status === "pass");
  const hint = delegationHint(domain, expected, found, results);
  return { status: pass ? "pass" : "fail", expected, found, results, hint, checked_at: now };
}
