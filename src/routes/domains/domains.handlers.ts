import { getDb } from "@/db/client";
import type { AppRouteHandler } from "@/lib/types";
import * as domains from "@/services/domains/domains";
import type {
  AddDomainRoute,
  DeleteDomainRoute,
  GetDomainsRoute,
  VerifyDomainRoute,
  VerifyNameServersRoute,
} from "./domains.routes";

export const getDomains: AppRouteHandler<GetDomainsRoute> = async (c) => {
  const { orgId } = c.get("auth");
  const config = domains.domainConfig(c.env);
  const entries = await domains.listDomains(getDb(c.env.DB), orgId);
  return c.json(
    entries.map((entry) => domains.toDomainResponse(entry, config)),
    200,
  );
};

export const addDomain: AppRouteHandler<AddDomainRoute> = async (c) => {
  const { orgId, userId } = c.get("auth");
  const { domain } = c.req.valid("json");
  const config = domains.domainConfig(c.env);
  const entry = await domains.addDomain(getDb(c.env.DB), orgId, userId ?? null, domain, config);
  return c.json(domains.toDomainResponse(entry, config), 200);
};

export const deleteDomain: AppRouteHandler<DeleteDomainRoute> = async (c) => {
  const { orgId } = c.get("auth");
  const domain = domains.lookupDomainName(c.req.valid("json").domain);
  await domains.deleteDomain(getDb(c.env.DB), orgId, domain);
  return c.body(null, 204);
};

export const verifyNameServers: AppRouteHandler<VerifyNameServersRoute> = async (c) => {
  const { orgId } = c.get("auth");
  const domain = domains.lookupDomainName(c.req.valid("json").domain);
  const config = domains.domainConfig(c.env);
  const db = getDb(c.env.DB);
  const entry = await domains.findDomain(db, orgId, domain);
  const state = await domains.verifyDomainNameServers(db, entry, config, domains.resolverFor(config));
  return c.json(domains.toDomainResponse({ ...entry, state }, config), 200);
};

export const verifyDomain: AppRouteHandler<VerifyDomainRoute> = async (c) => {
  const { orgId } = c.get("auth");
  const domain = domains.lookupDomainName(c.req.valid("json").domain);
  const config = domains.domainConfig(c.env);
  const db = getDb(c.env.DB);
  const entry = await domains.findDomain(db, orgId, domain);
  const state = await domains.verifyDomainRecords(db, entry, config, domains.resolverFor(config));
  return c.json(domains.toDomainResponse({ ...entry, state }, config), 200);
};
