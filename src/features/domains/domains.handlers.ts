import * as domains from "@/features/domains";
import type { AppRouteHandler } from "@/lib/types";
import type {
  AddDomainRoute,
  DeleteDomainRoute,
  GetDomainsRoute,
  VerifyDomainRoute,
  VerifyNameServersRoute,
} from "./domains.routes";

export const getDomains: AppRouteHandler<GetDomainsRoute> = async (c) =>
  c.json(await domains.listOrgDomains(c.get("services"), c.get("auth")), 200);

export const addDomain: AppRouteHandler<AddDomainRoute> = async (c) =>
  c.json(await domains.addOrgDomain(c.get("services"), c.get("auth"), c.req.valid("json").domain), 200);

export const deleteDomain: AppRouteHandler<DeleteDomainRoute> = async (c) => {
  await domains.deleteOrgDomain(c.get("services"), c.get("auth"), c.req.valid("json").domain);
  return c.body(null, 204);
};

// The two verify operations share one shape: `{domain}` in, the domain with the outcome of its check out.

export const verifyNameServers: AppRouteHandler<VerifyNameServersRoute> = async (c) =>
  c.json(await domains.verifyOrgNameServers(c.get("services"), c.get("auth"), c.req.valid("json").domain), 200);

export const verifyDomain: AppRouteHandler<VerifyDomainRoute> = async (c) =>
  c.json(await domains.verifyOrgDomain(c.get("services"), c.get("auth"), c.req.valid("json").domain), 200);
