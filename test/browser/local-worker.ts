import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

/** The project root (this file is test/browser/local-worker.ts). */
export const ROOT = path.resolve(import.meta.dirname, "..", "..");
const WRANGLER = path.join(
  path.dirname(createRequire(import.meta.url).resolve("wrangler/package.json")),
  "bin",
  "wrangler.js",
);
/** Metrics off: these machines are offline, and the lookup only adds noise and delay. */
const ENV = { ...process.env, WRANGLER_SEND_METRICS: "false" };
const READY_TIMEOUT_MS = 90_000;

export interface LocalWorker {
  /** `http://127.0.0.1:<port>`, the same kind of origin as `npm start` (development tokens are honoured). */
  url: string;
  stop(): Promise<void>;
}

/** A port nobody listens on right now (the OS picks it). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no TCP port from the OS");
  return address.port;
}

/**
 * Runs the Worker as `npm start` does, but isolated: `wrangler dev` on free ports at 127.0.0.1, with the
 * development vars of `.dev.vars.example` (never the developer's own `.dev.vars`), and a fresh D1 state in a
 * temporary folder that gets the migrations first and is removed on stop.
 */
export async function startLocalWorker(): Promise<LocalWorker> {
  const state = mkdtempSync(path.join(tmpdir(), "messaging-settings-browser-"));
  const migrate = spawnSync(
    process.execPath,
    [WRANGLER, "d1", "migrations", "apply", "DB", "--local", "--persist-to", state],
    { cwd: ROOT, env: ENV, encoding: "utf8" },
  );
  if (migrate.status !== 0) throw new Error(`wrangler d1 migrations apply failed:\n${migrate.stdout}${migrate.stderr}`);

  const [port, inspectorPort] = [await freePort(), await freePort()];
  const args = ["dev", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspectorPort)];
  args.push("--persist-to", state, "--env-file", ".dev.vars.example", "--show-interactive-dev-session=false");
  // Its own process group, so stop() ends wrangler and the workerd it starts, and nothing else.
  const dev = spawn(process.execPath, [WRANGLER, ...args], { cwd: ROOT, env: ENV, detached: true });
  let output = "";
  dev.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  dev.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await endGroup(dev);
    rmSync(state, { recursive: true, force: true });
  };
  try {
    await waitUntilServing(`${url}/openapi.json`, dev);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\nwrangler dev said:\n${output}`);
  }
  return { url, stop };
}

async function waitUntilServing(probe: string, dev: ChildProcess): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (dev.exitCode !== null || dev.signalCode !== null) {
      throw new Error(`wrangler dev exited (${dev.exitCode ?? dev.signalCode})`);
    }
    const ok = await fetch(probe).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`wrangler dev did not serve ${probe} within ${READY_TIMEOUT_MS / 1000} s`);
}

/** SIGTERM to the child's process group, SIGKILL after 5 s if it is still there. */
async function endGroup(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  process.kill(-child.pid, "SIGTERM");
  const timer = setTimeout(() => child.pid && process.kill(-child.pid, "SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}
