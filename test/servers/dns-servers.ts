import { type ChildProcess, execFile, spawn, spawnSync } from "node:child_process";
import dgram from "node:dgram";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import net, { type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import * as dnsPacket from "@dnsquery/dns-packet";

/**
 * Real DNS for the domain tests, loopback only, non-privileged ports, no system service:
 *
 *   Worker --DoH (RFC 8484 over plain HTTP)--> dnsdist --UDP--> nsd (authoritative, one zone per test domain)
 *
 * dnsdist (Debian's 1.7.3) serves DoH without TLS when `addDOHLocal` gets no certificate. With `delayMs`,
 * DoH queries go through a second dnsdist frontend on the same process whose `DelayAction` holds every
 * answer back (DelayAction only applies to UDP clients, hence the loopback hop). Rules: any query for a name
 * with a label `servfail` is answered SERVFAIL by dnsdist.
 *
 * An admin HTTP server lets tests (running in workerd) rewrite zones and reach misbehaving "resolvers":
 *   PUT    /zones/<zone>  {"records":[{"name":"@","type":"TXT","data":"\"v=spf1 ...\""}]}  write + reload,
 *          answered once nsd serves the new serial. Without NS records at "@" the zone gets two
 *          non-platform NS records (ns1/ns2.customer-dns.net).
 *   DELETE /zones/<zone>  remove the zone (nsd then answers REFUSED for it)
 *   POST   /doh/http-500 | /doh/not-dns | /doh/garbage | /doh/hang   broken DoH endpoints
 */
interface DnsServers {
  dohUrl: string;
  adminUrl: string;
  /** A loopback URL on which nothing listens (connection refused). */
  closedUrl: string;
  stop(): void;
}

export interface DnsServerOptions {
  /** Delay every DoH answer by this many milliseconds (benchmarks). */
  delayMs?: number;
}

const run = promisify(execFile);
const SEARCH_PATH = ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"];

const DNS_PACKAGES = ["dnsdist", "nsd"];
const MISSING_DNS_SERVERS =
  "The domain tests need the DNS servers dnsdist and nsd: install them with " +
  "`sudo apt-get install dnsdist nsd` (Debian/Ubuntu) or `brew install dnsdist nsd` (macOS), then run npm test again.";

function lookupBinary(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(":"), ...SEARCH_PATH].filter(Boolean);
  return dirs.map((dir) => path.join(dir, name)).find((candidate) => existsSync(candidate));
}

/**
 * A fresh machine may not have the two servers yet. Where packages can be installed without a prompt
 * (root, or passwordless sudo, with apt-get), install them once; otherwise stop with one sentence naming
 * the packages.
 */
function ensureDnsServersInstalled() {
  if (["nsd", "nsd-control", "dnsdist"].every((name) => lookupBinary(name))) return;
  const aptGet = lookupBinary("apt-get");
  const asRoot = process.getuid?.() === 0;
  const sudo = !asRoot && lookupBinary("sudo");
  const canSudo = sudo ? spawnSync(sudo, ["-n", "true"]).status === 0 : false;
  if (!aptGet || (!asRoot && !canSudo)) throw new Error(MISSING_DNS_SERVERS);
  // `sudo` resets the environment; `env` carries DEBIAN_FRONTEND through it.
  const prefix = asRoot ? [] : [sudo as string, "env", "DEBIAN_FRONTEND=noninteractive"];
  console.log(`[dns-servers] installing ${DNS_PACKAGES.join(" and ")} with apt-get (once per machine)`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  for (const args of [
    ["update", "-qq"],
    ["install", "-y", "-qq", "--no-install-recommends", ...DNS_PACKAGES],
  ]) {
    const [bin, ...rest] = [...prefix, aptGet, ...args];
    const result = spawnSync(bin as string, rest, { env, stdio: ["ignore", "ignore", "inherit"] });
    if (result.status !== 0) throw new Error(`apt-get ${args[0]} failed. ${MISSING_DNS_SERVERS}`);
  }
}

function findBinary(name: string): string {
  const found = lookupBinary(name);
  if (!found) throw new Error(MISSING_DNS_SERVERS);
  return found;
}

/** A port free for both TCP and UDP on 127.0.0.1. */
async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const tcp = net.createServer();
    await new Promise<void>((resolve) => tcp.listen(0, "127.0.0.1", resolve));
    const { port } = tcp.address() as AddressInfo;
    const udp = dgram.createSocket("udp4");
    const udpFree = await new Promise<boolean>((resolve) => {
      udp.once("error", () => resolve(false));
      udp.bind(port, "127.0.0.1", () => resolve(true));
    });
    await new Promise<void>((resolve) => tcp.close(() => resolve()));
    await new Promise<void>((resolve) => {
      try {
        udp.close(() => resolve());
      } catch {
        resolve();
      }
    });
    if (udpFree) return port;
  }
  throw new Error("no free loopback port for the DNS test servers");
}

/** One UDP DNS query straight to nsd, for readiness and reload checks. */
function udpQuery(port: number, name: string, type: "SOA" | "NS", timeoutMs = 500): Promise<dnsPacket.Packet> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket("udp4");
    const id = Math.floor(Math.random() * 65535);
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`no answer from 127.0.0.1:${port}`));
    }, timeoutMs);
    socket.once("message", (message) => {
      clearTimeout(timer);
      socket.close();
      try {
        resolve(dnsPacket.decode(new Uint8Array(message)));
      } catch (err) {
        reject(err);
      }
    });
    socket.once("error", (err) => {
      clearTimeout(timer);
      socket.close();
      reject(err);
    });
    socket.send(dnsPacket.encode({ type: "query", id, questions: [{ name, type }] }), port, "127.0.0.1");
  });
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, log?: () => string) {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const detail = lastError instanceof Error ? ` (${lastError.message})` : "";
  throw new Error(`${what} timed out${detail}${log ? `\n${log()}` : ""}`);
}

/**
 * Runs `bin args` under a small shell watchdog that ends it when this process is gone, even when this
 * process is killed with SIGKILL, so no server outlives the test run.
 */
function spawnSupervised(bin: string, args: string[], logFile: string): ChildProcess {
  const script =
    '"$0" "$@" >>"$LOG" 2>&1 & child=$!; trap \'kill $child 2>/dev/null; wait $child; exit 0\' TERM INT; ' +
    'while kill -0 "$PARENT" 2>/dev/null && kill -0 $child 2>/dev/null; do sleep 1; done; kill $child 2>/dev/null; wait $child';
  const child = spawn("sh", ["-c", script, bin, ...args], {
    env: { ...process.env, LOG: logFile, PARENT: String(process.pid) },
    stdio: "ignore",
  });
  // The test run must not wait for the servers; the exit handler and the watchdog end them.
  child.unref();
  return child;
}

const tail = (file: string, lines = 20) => {
  try {
    return readFileSync(file, "utf8").trim().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
};

interface ZoneRecord {
  name: string;
  type: string;
  data: string;
  ttl?: number;
}

const ZONE_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/;

function zoneFile(zone: string, serial: number, records: ZoneRecord[]): string {
  for (const r of records) {
    for (const field of [r.name, r.type, r.data]) {
      if (typeof field !== "string" || /[\r\n;]/.test(field.replace(/"[^"]*"/g, ""))) {
        throw new Error(`bad zone record field ${JSON.stringify(field)}`);
      }
    }
  }
  const hasApexNs = records.some((r) => r.type.toUpperCase() === "NS" && (r.name === "@" || r.name === `${zone}.`));
  const lines = [
    `$ORIGIN ${zone}.`,
    "$TTL 30",
    `@ IN SOA ns1.customer-dns.net. hostmaster.${zone}. ${serial} 3600 600 86400 30`,
    ...(hasApexNs ? [] : ["@ IN NS ns1.customer-dns.net.", "@ IN NS ns2.customer-dns.net."]),
    ...records.map((r) => `${r.name} ${r.ttl ?? 30} IN ${r.type.toUpperCase()} ${r.data}`),
  ];
  return `${lines.join("\n")}\n`;
}

async function startDnsServers(options: DnsServerOptions = {}): Promise<DnsServers> {
  ensureDnsServersInstalled();
  const nsd = findBinary("nsd");
  const nsdControl = findBinary("nsd-control");
  const dnsdist = findBinary("dnsdist");

  const dir = mkdtempSync(path.join(tmpdir(), "dns-test-"));
  const zonesDir = path.join(dir, "zones");
  mkdirSync(zonesDir);
  const [nsdPort, dohPort, hopPort, closedPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const children: ChildProcess[] = [];
  let stopped = false;
  let admin: Server | undefined;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    for (const child of children) {
      if (child.exitCode === null && child.pid) {
        try {
          process.kill(child.pid, "SIGTERM");
        } catch {
          // already gone
        }
      }
    }
    admin?.close();
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", stop);

  try {
    // --- nsd: authoritative, zones added at run time through its control socket ---
    const nsdConf = path.join(dir, "nsd.conf");
    const nsdLog = path.join(dir, "nsd.log");
    writeFileSync(
      nsdConf,
      [
        "server:",
        `  ip-address: 127.0.0.1@${nsdPort}`,
        "  do-ip6: no",
        '  username: ""',
        '  chroot: ""',
        `  zonesdir: "${zonesDir}"`,
        `  zonelistfile: "${path.join(dir, "zone.list")}"`,
        '  database: ""',
        `  pidfile: "${path.join(dir, "nsd.pid")}"`,
        `  xfrdfile: "${path.join(dir, "xfrd.state")}"`,
        `  xfrdir: "${dir}"`,
        `  logfile: "${nsdLog}"`,
        "  server-count: 1",
        "  hide-version: yes",
        "  verbosity: 1",
        "remote-control:",
        "  control-enable: yes",
        `  control-interface: "${path.join(dir, "nsd.sock")}"`,
        "pattern:",
        "  name: dyn",
        '  zonefile: "%s.zone"',
        "",
      ].join("\n"),
    );
    const readyZone = "ready.dns-test";
    writeFileSync(path.join(zonesDir, `${readyZone}.zone`), zoneFile(readyZone, 1, []));
    writeFileSync(path.join(dir, "zone.list"), `# NSD zone list\n# name pattern\nadd ${readyZone} dyn\n`);
    children.push(spawnSupervised(nsd, ["-d", "-c", nsdConf], nsdLog));
    await waitFor(
      "nsd start",
      async () => ((await udpQuery(nsdPort, readyZone, "SOA")).rcode === "NOERROR" ? true : undefined),
      15_000,
      () => tail(nsdLog),
    );

    // --- dnsdist: DoH over plain HTTP in front of nsd, optionally delaying every answer ---
    const dnsdistConf = path.join(dir, "dnsdist.conf");
    const dnsdistLog = path.join(dir, "dnsdist.log");
    const delayMs = options.delayMs ?? 0;
    writeFileSync(
      dnsdistConf,
      [
        'setSecurityPollSuffix("")',
        `setLocal("127.0.0.1:${hopPort}")`,
        `addDOHLocal("127.0.0.1:${dohPort}", nil, nil, "/dns-query")`,
        `local nsd = newServer({address="127.0.0.1:${nsdPort}", name="nsd"})`,
        "nsd:setUp()",
        'addAction(RegexRule("(^|\\\\.)servfail\\\\."), RCodeAction(DNSRCode.SERVFAIL))',
        ...(delayMs > 0
          ? [
              `local hop = newServer({address="127.0.0.1:${hopPort}", name="delay-hop", pool="delay"})`,
              "hop:setUp()",
              `addAction(DSTPortRule(${dohPort}), PoolAction("delay"))`,
              `addAction(DSTPortRule(${hopPort}), DelayAction(${Math.round(delayMs)}))`,
            ]
          : []),
        "",
      ].join("\n"),
    );
    children.push(spawnSupervised(dnsdist, ["--supervised", "--disable-syslog", "-C", dnsdistConf], dnsdistLog));
    const dohUrl = `http://127.0.0.1:${dohPort}/dns-query`;
    await waitFor(
      "dnsdist DoH start",
      async () => {
        const response = await fetch(dohUrl, {
          method: "POST",
          headers: { "content-type": "application/dns-message" },
          body: dnsPacket.encode({ type: "query", id: 0, questions: [{ name: readyZone, type: "SOA" }] }),
        });
        const body = new Uint8Array(await response.arrayBuffer());
        return response.ok && dnsPacket.decode(body).rcode === "NOERROR" ? true : undefined;
      },
      15_000,
      () => tail(dnsdistLog),
    );

    // --- admin: zone rewrites and broken resolvers ---
    const serials = new Map<string, number>();
    let queue: Promise<unknown> = Promise.resolve();
    const serialized = <T>(task: () => Promise<T>): Promise<T> => {
      const next = queue.then(task, task);
      queue = next.catch(() => undefined);
      return next;
    };
    const control = (...args: string[]) => run(nsdControl, ["-c", nsdConf, ...args]);

    async function putZone(zone: string, records: ZoneRecord[]) {
      const serial = (serials.get(zone) ?? 0) + 1;
      writeFileSync(path.join(zonesDir, `${zone}.zone`), zoneFile(zone, serial, records));
      if (serials.has(zone)) await control("reload", zone);
      else await control("addzone", zone, "dyn");
      serials.set(zone, serial);
      await waitFor(
        `nsd serving ${zone} serial ${serial}`,
        async () => {
          const answer = await udpQuery(nsdPort, zone, "SOA");
          const soa = answer.answers?.find((a) => a.type === "SOA");
          return soa && soa.type === "SOA" && soa.data.serial === serial ? true : undefined;
        },
        10_000,
        () => tail(nsdLog),
      );
    }

    async function deleteZone(zone: string) {
      if (!serials.has(zone)) return;
      await control("delzone", zone);
      serials.delete(zone);
      rmSync(path.join(zonesDir, `${zone}.zone`), { force: true });
    }

    const readBody = (req: IncomingMessage) =>
      new Promise<string>((resolve, reject) => {
        let data = "";
        req.setEncoding("utf8");
        req.on("data", (chunk) => {
          data += chunk;
        });
        req.on("end", () => resolve(data));
        req.on("error", reject);
      });

    const handle = async (req: IncomingMessage, res: ServerResponse) => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const zoneMatch = /^\/zones\/([^/]+)$/.exec(url.pathname);
      if (zoneMatch?.[1]) {
        const zone = decodeURIComponent(zoneMatch[1]).toLowerCase().replace(/\.$/, "");
        if (!ZONE_NAME.test(zone)) return res.writeHead(400).end(`bad zone name ${zone}`);
        if (req.method === "PUT") {
          const body = JSON.parse((await readBody(req)) || "{}") as { records?: ZoneRecord[] };
          await serialized(() => putZone(zone, body.records ?? []));
          return res.writeHead(204).end();
        }
        if (req.method === "DELETE") {
          await serialized(() => deleteZone(zone));
          return res.writeHead(204).end();
        }
      }
      if (req.method === "POST" && url.pathname.startsWith("/doh/")) {
        await readBody(req);
        switch (url.pathname) {
          case "/doh/http-500":
            return res.writeHead(500, { "content-type": "text/plain" }).end("upstream exploded");
          case "/doh/not-dns":
            return res.writeHead(200, { "content-type": "text/html" }).end("<html>captive portal</html>");
          case "/doh/garbage":
            // A header that promises one question and one answer, then stops.
            return res
              .writeHead(200, { "content-type": "application/dns-message" })
              .end(Buffer.from([0, 0, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 7, 101, 120]));
          case "/doh/hang":
            // Never answers; the socket is dropped after a while so the server can close.
            setTimeout(() => res.destroy(), 60_000).unref();
            return;
        }
      }
      res.writeHead(404).end();
    };

    admin = createServer((req, res) => {
      handle(req, res).catch((err: Error) => {
        if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
        res.end(err.message);
      });
    });
    await new Promise<void>((resolve) => admin?.listen(0, "127.0.0.1", resolve));
    admin.unref();
    const { port: adminPort } = admin.address() as AddressInfo;

    return {
      dohUrl,
      adminUrl: `http://127.0.0.1:${adminPort}`,
      closedUrl: `http://127.0.0.1:${closedPort}/dns-query`,
      stop,
    };
  } catch (err) {
    stop();
    throw err;
  }
}

/**
 * The miniflare bindings for the test run: DOH_URL points at the local dnsdist. When the servers cannot
 * start (packages not installed), the other test files still run and the domain tests fail with the
 * reason from TEST_DNS_UNAVAILABLE.
 */
export async function dnsTestBindings(options: DnsServerOptions = {}): Promise<Record<string, string>> {
  try {
    const servers = await startDnsServers(options);
    return {
      DOH_URL: servers.dohUrl,
      TEST_DNS_ADMIN_URL: servers.adminUrl,
      TEST_DNS_CLOSED_URL: servers.closedUrl,
      TEST_DNS_UNAVAILABLE: "",
    };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    console.error(`DNS test servers unavailable: ${reason}`);
    return {
      DOH_URL: "http://127.0.0.1:9/dns-query",
      TEST_DNS_ADMIN_URL: "",
      TEST_DNS_CLOSED_URL: "",
      TEST_DNS_UNAVAILABLE: reason,
    };
  }
}
