import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A webhook receiver on loopback for the webhook tests and bench: every POST to `/hooks/<name>` is
 * recorded (headers and the exact body) and answered by the next scripted answer of `<name>`, else 200.
 *
 * Admin API (the tests call it over HTTP from the Worker):
 * - `PUT /admin/<name>/script` with `[{status, headers?, body?, delayMs?}, ...]`: the answers to give, in order;
 *   `{"repeat": {status, ...}}` instead answers that way for every request (e.g. always 410).
 * - `GET /admin/<name>/requests`: `[{headers, body, at}]`, oldest first.
 * - `GET /admin/stats`: `{requests}` over every name (the bench).
 * Names are chosen per test (random), so concurrently running test files never share one.
 */
export interface ScriptedAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  delayMs?: number;
}

interface Recorded {
  headers: Record<string, string>;
  body: string;
  at: number;
}

const MAX_DELAY_MS = 30_000;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

export async function startWebhookReceiver(): Promise<{ url: string; close: () => void }> {
  const scripts = new Map<string, ScriptedAnswer[]>();
  const repeats = new Map<string, ScriptedAnswer>();
  const requests = new Map<string, Recorded[]>();
  let total = 0;
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://receiver");
    const [, area, name = "", action] = url.pathname.split("/");
    const body = await readBody(req);
    if (area === "admin" && name === "stats") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ requests: total }));
      return;
    }
    if (area === "admin" && action === "script" && req.method === "PUT") {
      const script = JSON.parse(body);
      if (Array.isArray(script)) scripts.set(name, script);
      else repeats.set(name, script.repeat);
      res.writeHead(204).end();
      return;
    }
    if (area === "admin" && action === "requests") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(requests.get(name) ?? []));
      return;
    }
    if (area !== "hooks" || req.method !== "POST") {
      res.writeHead(404).end();
      return;
    }
    total++;
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    requests.set(name, [...(requests.get(name) ?? []), { headers, body, at: Date.now() }]);
    const answer = scripts.get(name)?.shift() ?? repeats.get(name) ?? { status: 200, body: "ok" };
    if (answer.delayMs) await new Promise((r) => setTimeout(r, Math.min(answer.delayMs ?? 0, MAX_DELAY_MS)));
    if (res.destroyed) return;
    res.writeHead(answer.status, answer.headers ?? {}).end(answer.body ?? "");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  // Never keeps the test run alive.
  server.unref();
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => server.close() };
}

/** The bindings the webhook tests read: where the receiver listens. */
export async function webhookReceiverBindings() {
  const receiver = await startWebhookReceiver();
  return { TEST_WEBHOOK_RECEIVER_URL: receiver.url };
}
