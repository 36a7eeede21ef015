import { getDb } from "@/db/client";
import type { DomainSettings } from "@/features/settings";
import type { AppEnv } from "@/lib/types";
import { addDomain } from "./add";
import { domainConfig } from "./config";
import { deleteDomain } from "./delete";

/** Legacy `email_domain` settings as custom domains (see settings' DomainSettings). */
export function domainSettings(env: AppEnv): DomainSettings {
  const db = getDb(env.DB);
  return {
    add: async (orgId, userId, setting) =>
      (await addDomain(db, orgId, userId, setting.value ?? "", domainConfig(env), setting)).setting,
    delete: (orgId, domain) => deleteDomain(db, orgId, domain),
  };
}
