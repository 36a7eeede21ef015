import { env } from "cloudflare:workers";

/**
 * Talks to the loopback JWKS server (test/servers/jwks-server.ts). Tests that count key-set fetches
 * or publish the extra "rotated" key use their own scope, a separate key-set URL, so test files that
 * run at the same time cannot change what they observe.
 */
export function jwksScope(name = crypto.randomUUID()) {
  const admin = env.TEST_JWKS_ADMIN_URL;
  const query = `scope=${encodeURIComponent(name)}`;
  return {
    /** The key-set URL of this scope, for `JWT_JWKS_URL` / `jwksUrl`. */
    url: `${admin}/jwks.json?${query}`,
    /** How often this scope's key set has been fetched. */
    async fetches(): Promise<number> {
      const response = await fetch(`${admin}/__stats?${query}`);
      return ((await response.json()) as { fetches: number }).fetches;
    },
    /** From now on this scope's key set also publishes the "rotated" key. */
    async publishRotated(): Promise<void> {
      const response = await fetch(`${admin}/__publish-rotated?${query}`, { method: "POST" });
      await response.body?.cancel();
      if (response.status !== 204) throw new Error(`publish-rotated answered ${response.status}`);
    },
    /** Makes this scope's key set fail (500), hang, answer a malformed body, or work again ("ok"). */
    async setMode(mode: "ok" | "fail" | "hang" | "malformed"): Promise<void> {
      const response = await fetch(`${admin}/__mode?${query}&mode=${mode}`, { method: "POST" });
      await response.body?.cancel();
      if (response.status !== 204) throw new Error(`mode answered ${response.status}`);
    },
  };
}

/** Fetches of the unscoped key set, which the Worker's configured JWT_JWKS_URL points at. */
export async function globalJwksFetches(): Promise<number> {
  const response = await fetch(`${env.TEST_JWKS_ADMIN_URL}/__stats`);
  return ((await response.json()) as { fetches: number }).fetches;
}
