import type { DomainSettings } from "@/features/settings";
import type { Services } from "@/lib/services";
import { addDomain } from "./add";
import { domainConfig } from "./config";
import { deleteDomain } from "./delete";

/** Legacy `email_domain` settings as custom domains (see settings' DomainSettings). */
export function domainSettings(services: Services): DomainSettings {
  const { db } = services;
  return {
    add: async (orgId, userId, setting) =>
      (await addDomain(db, orgId, userId, setting.value ?? "", domainConfig(services), setting)).setting,
    delete: (orgId, domain) => deleteDomain(db, orgId, domain),
  };
}
