import { webcrypto } from "node:crypto";
import { createServer, type Server } from "node:http";
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
 */
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

export async function startJwksServer(): Promise<{ url: string; keys: TestSigningKeys; server: Server }> {
  const keys: TestSigningKeys = {
    rs256: await generate("RS256", "test-rs256"),
    es256: await generate("ES256", "test-es256"),
    rotated: await generate("RS256", "test-rotated"),
  };
  let fetches = 0;
  let publishRotated = false;
  const scopedFetches = new Map<string, number>();
  const scopesWithRotated = new Set<string>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const scope = url.searchParams.get("scope");
    if (url.pathname === "/jwks.json") {
      fetches++;
      if (scope !== null) scopedFetches.set(scope, (scopedFetches.get(scope) ?? 0) + 1);
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
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  server.unref();
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, keys, server };
}
