import { describe, expect, it } from "vitest";
import { call, expectError, uniqueOrg } from "./helpers/api";
import { fillPath, type ServedOperation, servedOperations } from "./helpers/operations";
import { signToken, unsignedToken } from "./helpers/tokens";

/**
 * Authentication, driven over every operation of the served GET /openapi.json (the 31 of the contract plus
 * the additions), in the spirit of unkey's per-route common tests: a route added tomorrow is covered by
 * these assertions without anyone listing it here.
 */

const operations = await servedOperations();
const protectedOperations = operations.filter((op) => !op.isPublic);

function request(op: ServedOperation) {
  const path = fillPath(op.path, {});
  const query = op.requiredQuery.map((name) => `${name}=x`).join("&");
  return {
    path: query ? `${path}?${query}` : path,
    body: op.hasBody ? {} : undefined,
  };
}

describe("the served document", () => {
  it("describes the contract's 31 operations plus the additions, each once", () => {
    expect(operations.length).toBeGreaterThanOrEqual(31);
    expect(new Set(operations.map((op) => op.operationId)).size).toBe(operations.length);
  });

  it("marks only the documents and the OAuth callback as public", () => {
    expect(operations.filter((op) => op.isPublic).map((op) => op.operationId)).toEqual(["outlookOAuthCallback"]);
  });
});

describe.each(protectedOperations)("$operationId ($method $path)", (op) => {
  it("answers 401 without a token, before reading input", async () => {
    const { path, body } = request(op);
    expectError(await call(op.method, path, { token: null, body }), 401);
  });

  it("answers 401 for a malformed, an unsigned or an expired token", async () => {
    const { path, body } = request(op);
    for (const token of [
      "not-a-jwt",
      unsignedToken({ org: uniqueOrg() }),
      await signToken({ org: uniqueOrg(), expiresInSeconds: -3600 }),
    ]) {
      expectError(await call(op.method, path, { token, body }), 401);
    }
  });

  it("answers 403 when the token does not grant the org named in x-epilot-org-id", async () => {
    const { path, body } = request(op);
    const token = await signToken({ org: uniqueOrg() });
    expectError(await call(op.method, path, { token, body, headers: { "x-epilot-org-id": uniqueOrg("other") } }), 403);
  });
});
