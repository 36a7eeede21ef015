import { webcrypto } from "node:crypto";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A real HTTP JWKS endpoint on loopback, standing in for the identity provider. It publishes one
 * RS256 and one ES256 key, counts how often the key set is fetched (so tests can prove caching), and
 * can publish an extra key on demand (so tests can prove refresh on an unknown kid).
 *
 * Test files run concurrently against this one server, so a test that counts fetches or publishes the
 * extra key can work in its own scope: `/jwks.json?scope=S` is a separate key-set URL (the Worker's
 * JWKS cache is keyed by URL), `GET /__stats?scope=S` counts only that URL's fetches and
 * `POST /__publish-rotated?scope=S` publishes the extra key only there. Without `scope` the endpoints
 * act on every fetch / every URL. `GET /__broken-jwks.json` answers a body that is not a key set.
 *
 * `POST /__mode?scope=S&mode=M` makes that scope's key set misbehave like a failing identity provider:
 * `fail` answers 500, `hang` never answers (until the mode changes or 20 s pass), `malformed` answers a
 * body that is not a key set, `ok` serves the keys again. Fetches are counted in every mode.
 *
 * The server also names the issuer and audience its tokens carry (`issuer`, `audience`), which the
 * test config sets as JWT_ISSUER / JWT_AUDIENCE.
 */
export type JwksMode = "ok" | "fail" | "hang" | "malformed";
const MODES: readonly JwksMode[] = ["ok", "fail", "hang", "malformed"];
const HANG_LIMIT_MS = 20_000;
export interface TestSigningKeys {
  rs256: { kid: string; privateJwk: JsonWebKey; publicJwk: JsonWebKey };
  es256: { kid: string; privateJwk: JsonWebKey; publicJwk: JsonWebKey };
  rotated: { kid: string; privateJwk: JsonWebKey; publicJwk: JsonWebKey };
}

async function generate(alg: "RS256" | "ES256", kid: string) {
  const params =
    alg === "RS256"
      ? { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" }
      : { name: "ECDSA", namedCurve: "P-256" };
  const pair = (await webcrypto.subtle.generateKey(params, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
  const privateJwk = (await webcrypto.subtle.exportKey("jwk", pair.privateKey)) as JsonWebKey;
  const publicJwk = (await webcrypto.subtle.exportKey("jwk", pair.publicKey)) as JsonWebKey;
  return { kid, privateJwk, publicJwk: { ...publicJwk, kid, alg, use: "sig" } as JsonWebKey };
}

export interface JwksServer {
  url: string;
  issuer: string;
  audience: string;
  keys: TestSigningKeys;
  server: Server;
}

export async function startJwksServer(): Promise<JwksServer> {
  const keys: TestSigningKeys = {
    rs256: await generate("RS256", "test-rs256"),
    es256: await generate("ES256", "test-es256"),
    rotated: await generate("RS256", "test-rotated"),
  };
  let fetches = 0;
  let publishRotated = false;
  const scopedFetches = new Map<string, number>();
  const scopesWithRotated = new Set<string>();
  const scopeModes = new Map<string, JwksMode>();
  const hanging = new Map<string, Set<ServerResponse>>();
  const release = (scope: string) => {
    for (const res of hanging.get(scope) ?? []) res.writeHead(503).end();
    hanging.delete(scope);
  };
  const misbehave = (scope: string, res: ServerResponse): boolean => {
    const mode = scopeModes.get(scope) ?? "ok";
    if (mode === "fail") res.writeHead(500, { "content-type": "application/json" }).end('{"error":"down"}');
    else if (mode === "malformed") res.writeHead(200, { "content-type": "application/json" }).end("{}");
    else if (mode === "hang") {
      const set = hanging.get(scope) ?? new Set<ServerResponse>();
      hanging.set(scope, set.add(res));
      const timer = setTimeout(() => res.writeHead(503).end(), HANG_LIMIT_MS);
      timer.unref();
      res.on("close", () => {
        clearTimeout(timer);
        set.delete(res);
      });
    }
    return mode !== "ok";
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const scope = url.searchParams.get("scope");
    if (url.pathname === "/jwks.json") {
      fetches++;
      if (scope !== null) scopedFetches.set(scope, (scopedFetches.get(scope) ?? 0) + 1);
      if (scope !== null && misbehave(scope, res)) return;
      const withRotated = publishRotated || (scope !== null && scopesWithRotated.has(scope));
      const published = [keys.rs256.publicJwk, keys.es256.publicJwk, ...(withRotated ? [keys.rotated.publicJwk] : [])];
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ keys: published }));
    } else if (url.pathname === "/__broken-jwks.json") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ not: "a key set" }));
    } else if (url.pathname === "/__stats") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ fetches: scope === null ? fetches : (scopedFetches.get(scope) ?? 0) }));
    } else if (url.pathname === "/__publish-rotated" && req.method === "POST") {
      if (scope === null) publishRotated = true;
      else scopesWithRotated.add(scope);
      res.writeHead(204).end();
    } else if (url.pathname === "/__mode" && req.method === "POST" && scope !== null) {
      const mode = url.searchParams.get("mode") as JwksMode;
      if (!MODES.includes(mode)) return void res.writeHead(400).end();
      scopeModes.set(scope, mode);
      if (mode !== "hang") release(scope);
      res.writeHead(204).end();
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  server.unref();
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  return { url: base, issuer: `${base}/`, audience: "messaging-settings-test", keys, server };
}
