import { sha256 } from "@oslojs/crypto/sha2";
import { encodeHexLowerCase } from "@oslojs/encoding";
import { seal } from "@/shared/crypto/sealing";

/** Only the SHA-256 of a state is stored: a database reader cannot complete someone's flow. */
export function hashState(state: string): string {
  return encodeHexLowerCase(sha256(new TextEncoder().encode(state)));
}

/** Sealing contexts bind a sealed value to its row and purpose. */
export const sealContext = {
  verifier: (stateHash: string) => JSON.stringify(["outlook_oauth_state", stateHash, "code_verifier"]),
  token: (orgId: string, tenantId: string, kind: "access_token" | "refresh_token") =>
    JSON.stringify(["outlook_connection", orgId, tenantId, kind]),
};

export interface ConnectedTokens {
  accessToken: string;
  refreshToken: string | undefined;
  expiresAt: Date;
  scopes: string[];
}

/** Sealed token columns for a connection row. */
export async function sealTokens(keys: string, orgId: string, tenantId: string, tokens: ConnectedTokens) {
  return {
    accessTokenSealed: await seal(keys, tokens.accessToken, sealContext.token(orgId, tenantId, "access_token")),
    refreshTokenSealed: tokens.refreshToken
      ? await seal(keys, tokens.refreshToken, sealContext.token(orgId, tenantId, "refresh_token"))
      : null,
    accessTokenExpiresAt: tokens.expiresAt.toISOString(),
    scopes: tokens.scopes,
  };
}
