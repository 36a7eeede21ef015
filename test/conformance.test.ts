import { beforeAll, describe, expect, it } from "vitest";
import contract from "./contract/email-settings.openapi.json";
import { call } from "./helpers/api";
import {
  deref,
  enumOf,
  flatten,
  type Json,
  jsonSchemaOf,
  numericCodes,
  operationsOf,
  parametersOf,
  propertySchema,
  refName,
} from "./helpers/openapi";

/**
 * Conformance of the generated document (GET /openapi.json) with the contract. The contract side is read
 * from test/contract/email-settings.openapi.json (a copy of ../shared/spec, checked equal by
 * `npm run check`), so a contract operation needs no hand-written table here. What is written by hand is
 * only what the implementation decides beyond the contract, each entry with its reason.
 */

/**
 * Error codes the generated document lists beyond the contract: 401 (bad token) and 500 everywhere; 413
 * wherever a body is read; on the settings operations also the 400 validation errors and 409 conflicts they
 * can produce; 404 for an unknown address on setEmailAddressPrimary; 403 (org access) on provisioning.
 */
const ADDED_ERROR_CODES: Record<string, number[]> = {
  provisionEpilotEmailAddress: [401, 403, 413],
  setEmailAddressPrimary: [401, 404, 413],
  getEmailAddress: [401],
  deleteEmailAddress: [401],
  updateEmailAddress: [401, 413],
  listEmailAddresses: [401],
  addEmailAddress: [401, 413],
  getSharedInbox: [401],
  deleteSharedInbox: [401],
  updateSharedInbox: [401, 413],
  listSharedInboxes: [401],
  addSharedInbox: [401, 413],
  listInboxBuckets: [401],
  getSettings: [400, 401, 500],
  addSetting: [400, 401, 409, 413, 500],
  // deleteSetting 409: an email_domain setting that addresses still use (the deleteDomain rule).
  deleteSetting: [400, 401, 409, 413, 500],
  updateSetting: [400, 401, 409, 413, 500],
  // Domains: 400 invalid/missing domain, 409 (duplicate, verified by another org, addresses still use it),
  // 502 resolver unreachable, 503 DOH_URL misconfigured.
  addDomain: [400, 401, 409, 413, 500, 503],
  deleteDomain: [400, 401, 409, 413, 500],
  verifyNameServers: [400, 401, 413, 500, 502, 503],
  verifyDomain: [400, 401, 409, 413, 500, 502, 503],
  // Microsoft 365 connection: 503 for missing MS_* / TOKEN_ENCRYPTION_KEYS config or an unreachable
  // identity platform; the callback's 400 (state, Microsoft errors) and 403 (admin consent needed).
  // connectOutlook 400/404/409: the admin consent upgrade's tenant_id (see ADDED_PARAMETERS).
  connectOutlook: [400, 401, 404, 409, 500, 503],
  outlookOAuthCallback: [400, 403, 500, 503],
  getOutlookConnectionStatus: [401, 403],
  disconnectOutlook: [401, 403, 413],
  // Outlook mailboxes: 401/403 auth everywhere, 413 where a body is read; connect 503 for missing Microsoft
  // config or Graph unreachable/throttling; retry 400 validation.
  connectOutlookMailbox: [413, 503],
  // 400: a `deleteImportedMail` that is not true/false (see ADDED_PARAMETERS).
  disconnectOutlookMailbox: [400, 401, 403],
  startMailboxSync: [401, 403, 413],
  getMailboxSyncStatus: [401, 403],
  retryMailboxSync: [400, 401, 403, 413],
  getConnectedOutlookEmails: [401, 403],
};

/** Added error codes whose body is a contract schema other than ErrorResponse. */
const ADDED_ERROR_SCHEMAS: Record<string, Record<number, string>> = {
  // The callback answers OAuth failures as the contract's OutlookConnectionError, like connectOutlook's 403.
  outlookOAuthCallback: { 400: "OutlookConnectionError", 403: "OutlookConnectionError" },
};

/** Operations the issues add beyond the contract (documented in the generated document too). */
const ADDITIVE_OPERATIONS: { operationId: string; method: string; path: string }[] = [
  { operationId: "getDomains", method: "get", path: "/v1/email-settings/domain" },
  // The mail imported into a shared inbox.
  { operationId: "listSharedInboxMessages", method: "get", path: "/v2/email-settings/shared-inboxes/{id}/messages" },
  // The stored, unsanitized body of an imported message, as a text/plain download.
  {
    operationId: "getSharedInboxMessageOriginalBody",
    method: "get",
    path: "/v2/email-settings/shared-inboxes/{id}/messages/{message_id}/original-body",
  },
  // A whole imported message and its stored attachments (from the message store).
  {
    operationId: "getSharedInboxMessage",
    method: "get",
    path: "/v2/email-settings/shared-inboxes/{id}/messages/{message_id}",
  },
  {
    operationId: "getSharedInboxMessageAttachment",
    method: "get",
    path: "/v2/email-settings/shared-inboxes/{id}/messages/{message_id}/attachments/{attachment_id}",
  },
  // The live sync state of a connected mailbox.
  { operationId: "getMailboxLiveSync", method: "get", path: "/v2/outlook/mailbox/{email}/live" },
  // Outbound webhooks (signed per Standard Webhooks).
  { operationId: "createWebhook", method: "post", path: "/v2/email-settings/webhooks" },
  { operationId: "listWebhooks", method: "get", path: "/v2/email-settings/webhooks" },
  { operationId: "getWebhook", method: "get", path: "/v2/email-settings/webhooks/{id}" },
  { operationId: "updateWebhook", method: "patch", path: "/v2/email-settings/webhooks/{id}" },
  { operationId: "deleteWebhook", method: "delete", path: "/v2/email-settings/webhooks/{id}" },
  { operationId: "rotateWebhookSecret", method: "post", path: "/v2/email-settings/webhooks/{id}/rotate-secret" },
  { operationId: "listWebhookDeliveries", method: "get", path: "/v2/email-settings/webhooks/{id}/deliveries" },
  {
    operationId: "redeliverWebhookEvent",
    method: "post",
    path: "/v2/email-settings/webhooks/{id}/events/{event_id}/redeliver",
  },
  { operationId: "sendTestWebhookEvent", method: "post", path: "/v2/email-settings/webhooks/{id}/test" },
];

/** Optional parameters beyond the contract's (a client that does not send them gets the contract's behaviour). */
const ADDED_PARAMETERS: Record<string, { name: string; in: string; required: false }[]> = {
  // Disconnecting can also remove the mailbox's imported mail and its stored objects.
  disconnectOutlookMailbox: [{ name: "deleteImportedMail", in: "query", required: false }],
  // A tenant administrator's admin consent for a tenant the org connected (README "Microsoft 365").
  connectOutlook: [
    { name: "admin_consent", in: "query", required: false },
    { name: "tenant_id", in: "query", required: false },
  ],
};

/** Bodies the contract leaves optional but the implementation requires (README: send `{}` for a no-op). */
const BODY_MADE_REQUIRED = new Set(["updateEmailAddress", "updateSharedInbox"]);

/**
 * Fields component schemas have beyond the contract's: OutlookConnectionStatus's `action_label` is in the
 * contract's `required` list but not among its properties, and `app_permission` tells whether the tenant granted
 * the application permission (README "Microsoft 365"); OutlookConnectionError carries the `status` of every
 * error envelope (README "Errors").
 */
const SCHEMA_ADDITIONS: Record<string, { required: string[]; properties: string[] }> = {
  OutlookConnectionStatus: { required: [], properties: ["action_label", "app_permission"] },
  OutlookConnectionError: { required: ["status"], properties: ["status"] },
};

const spec = contract as Json;
const contractOperations = operationsOf(spec).map(({ method, path, operation }) => ({
  method,
  path,
  operationId: operation.operationId as string,
  operation,
}));

let doc: Json;

beforeAll(async () => {
  const response = await call("GET", "/openapi.json", { token: null });
  expect(response.status).toBe(200);
  doc = response.body;
});

const minus = <T>(a: T[], b: T[]) => a.filter((x) => !b.includes(x));
const isSuccess = (code: number) => code >= 200 && code < 300;

describe("the contract file", () => {
  it("has the 31 operations, each once", () => {
    expect(contractOperations).toHaveLength(31);
    expect(new Set(contractOperations.map((op) => op.operationId)).size).toBe(31);
    expect(Object.keys(ADDED_ERROR_CODES).sort()).toEqual(contractOperations.map((op) => op.operationId).sort());
  });
});

describe("document metadata", () => {
  it("has the contract's OpenAPI version, title and version", () => {
    expect(doc.openapi).toBe(spec.openapi);
    expect(doc.info.title).toBe(spec.info.title);
    expect(doc.info.version).toBe(spec.info.version);
  });

  it("declares the contract's tags in order", () => {
    expect(doc.tags.map((t: Json) => t.name)).toEqual(spec.tags.map((t: Json) => t.name));
  });

  it("declares the contract's security schemes and global security", () => {
    const expected = spec.components.securitySchemes as Record<string, Json>;
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(Object.keys(expected).sort());
    for (const [name, scheme] of Object.entries(expected)) {
      const { description: _ignored, ...shape } = scheme;
      expect(doc.components.securitySchemes[name], name).toMatchObject(shape);
    }
    expect(doc.security).toEqual(spec.security);
  });

  it("describes only contract operations and the documented additions", () => {
    const known = new Map(
      [...contractOperations, ...ADDITIVE_OPERATIONS].map((op) => [`${op.method} ${op.path}`, op.operationId]),
    );
    const generated = operationsOf(doc);
    for (const { method, path, operation } of generated) {
      expect(known.get(`${method} ${path}`), `${method.toUpperCase()} ${path} is not in the contract`).toBe(
        operation.operationId,
      );
    }
    expect(generated).toHaveLength(contractOperations.length + ADDITIVE_OPERATIONS.length);
  });

  const contractSchemas = Object.entries(spec.components.schemas as Record<string, Json>);

  it.each(contractSchemas)("has component schema %s as in the contract", (name, expected) => {
    const schema = doc.components.schemas[name];
    expect(schema, `components.schemas.${name}`).toBeDefined();
    const expectedEnum = enumOf(spec, expected);
    if (expectedEnum) {
      expect(enumOf(doc, schema)).toEqual(expectedEnum);
      return;
    }
    const want = flatten(spec, expected);
    const { properties, required } = flatten(doc, schema);
    const added = SCHEMA_ADDITIONS[name] ?? { required: [], properties: [] };
    expect(required).toEqual([...want.required, ...added.required].sort());
    expect(minus(want.properties, properties), `${name}: contract properties missing`).toEqual([]);
    expect(minus(properties, want.properties), `${name}: properties the contract does not have`).toEqual(
      added.properties,
    );
  });
});

describe.each(contractOperations)("$operationId ($method $path)", (op) => {
  const generated = (): Json => {
    const operation = doc.paths[op.path]?.[op.method];
    expect(operation, `${op.method.toUpperCase()} ${op.path} is missing from /openapi.json`).toBeDefined();
    return operation;
  };

  it("has the contract's operationId, tag and security", () => {
    expect(generated().operationId).toBe(op.operationId);
    expect(generated().tags).toEqual(op.operation.tags);
    expect(generated().security).toEqual(op.operation.security);
  });

  it("answers the contract's codes plus only the documented additions", () => {
    const codes = numericCodes(generated());
    const want = numericCodes(op.operation);
    expect(codes.filter(isSuccess)).toEqual(want.filter(isSuccess));
    const errors = want.filter((code) => !isSuccess(code));
    expect(codes.filter((code) => !isSuccess(code))).toEqual(
      [...new Set([...errors, ...(ADDED_ERROR_CODES[op.operationId] ?? [])])].sort((a, b) => a - b),
    );
  });

  it("returns the contract's success body", () => {
    const code = numericCodes(op.operation).find(isSuccess);
    const want = jsonSchemaOf(spec, op.operation.responses[String(code)]);
    const got = jsonSchemaOf(doc, generated().responses[String(code)]);
    if (!want) return expect(got).toBeUndefined();
    expect(got, "application/json success body").toBeDefined();
    if (want.type === "array") {
      expect(got.type).toBe("array");
      return expect(refName(got.items)).toBe(refName(want.items));
    }
    if (refName(want)) return expect(refName(got)).toBe(refName(want));
    expect(refName(got), "an inline schema").toBeUndefined();
    expect(flatten(doc, got).properties).toEqual(flatten(spec, want).properties);
  });

  it("renders every error with the contract's schema, else ErrorResponse", () => {
    for (const code of numericCodes(generated()).filter((c) => !isSuccess(c))) {
      const contractResponse = op.operation.responses[String(code)];
      const expected =
        (contractResponse && refName(jsonSchemaOf(spec, contractResponse))) ??
        ADDED_ERROR_SCHEMAS[op.operationId]?.[code] ??
        "ErrorResponse";
      expect(refName(jsonSchemaOf(doc, generated().responses[String(code)])), `response ${code}`).toBe(expected);
    }
  });

  it("takes the contract's parameters", () => {
    const shape = (p: Json) => ({ name: p.name, in: p.in, required: p.required === true });
    const byKey = (a: Json, b: Json) => `${a.in}:${a.name}`.localeCompare(`${b.in}:${b.name}`);
    const got = parametersOf(doc, generated());
    const want = parametersOf(spec, op.operation);
    const added = ADDED_PARAMETERS[op.operationId] ?? [];
    expect(got.map(shape).sort(byKey)).toEqual([...want.map(shape), ...added].sort(byKey));
    for (const param of want) {
      const values = enumOf(spec, param.schema);
      if (!values) continue;
      const actual = got.find((p) => p.name === param.name && p.in === param.in);
      expect(enumOf(doc, actual.schema), `${param.name} enum`).toEqual(values);
    }
  });

  it("takes the contract's request body", () => {
    const want = op.operation.requestBody && deref(spec, op.operation.requestBody);
    const got = generated().requestBody;
    if (!want) return expect(got).toBeUndefined();
    expect(got, "requestBody").toBeDefined();
    expect(got.required === true).toBe(want.required === true || BODY_MADE_REQUIRED.has(op.operationId));
    const wantSchema = jsonSchemaOf(spec, want);
    const gotSchema = jsonSchemaOf(doc, got);
    expect(gotSchema, "application/json body").toBeDefined();
    const wantShape = flatten(spec, wantSchema);
    expect(flatten(doc, gotSchema)).toEqual(wantShape);
    for (const property of wantShape.properties) {
      const values = enumOf(spec, propertySchema(spec, wantSchema, property));
      if (values) expect(enumOf(doc, propertySchema(doc, gotSchema, property)), `${property} enum`).toEqual(values);
    }
  });
});
