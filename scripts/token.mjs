#!/usr/bin/env node
// `npm run token -- --org <org-id> --user <user-id> [--shared-orgs a,b] [--ttl 3600]`
// Prints only an HS256 development token, signed with JWT_DEV_SECRET from `.dev.vars.example`.
// The Worker honours it only when run locally (`npm start`, reached at localhost / 127.0.0.1 / [::1])
// with JWT_JWKS_URL empty, and only for at most JWT_MAX_TOKEN_LIFETIME_SECONDS (default 24 h).
import { createHmac } from "node:crypto";
import { parseArgs } from "node:util";
import { createJWTSignatureMessage, encodeJWT } from "@oslojs/jwt";
import { readDevVars } from "./dev-vars.mjs";

const { values } = parseArgs({
  options: {
    org: { type: "string", default: "dev-org" },
    user: { type: "string", default: "dev-user" },
    "shared-orgs": { type: "string" },
    ttl: { type: "string", default: "86400" },
  },
});

const secret = process.env.JWT_DEV_SECRET || readDevVars().JWT_DEV_SECRET;
if (!secret) {
  console.error("JWT_DEV_SECRET is not set in .dev.vars.example or the environment");
  process.exit(1);
}
const MAX_TTL_SECONDS = 86400;
const ttl = Number(values.ttl);
if (!Number.isInteger(ttl) || ttl <= 0 || ttl > MAX_TTL_SECONDS) {
  console.error(`--ttl must be a whole number of seconds from 1 to ${MAX_TTL_SECONDS} (the Worker's default maximum)`);
  process.exit(1);
}
const now = Math.floor(Date.now() / 1000);
const claims = {
  sub: values.user,
  user_id: values.user,
  org_id: values.org,
  iat: now,
  exp: now + ttl,
  ...(values["shared-orgs"] && { shared_org_ids: values["shared-orgs"].split(",").map((s) => s.trim()) }),
};
const header = JSON.stringify({ alg: "HS256", typ: "JWT" });
const payload = JSON.stringify(claims);
const signature = createHmac("sha256", secret).update(createJWTSignatureMessage(header, payload)).digest();
process.stdout.write(`${encodeJWT(header, payload, new Uint8Array(signature))}\n`);
