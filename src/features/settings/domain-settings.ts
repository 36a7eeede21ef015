import type { SettingRow } from "@/db/schema";
import type { NormalizedSetting } from "./fields";

/**
 * A legacy `email_domain` setting is a custom domain: adding or deleting one follows the domains feature's
 * rules. The domains feature implements this (`domainSettings(services)`) and the settings route handlers hand it
 * in, so settings does not depend on the feature that depends on it (domains answers in the setting shape).
 */
export interface DomainSettings {
  /** Adds the domain named by the setting; answers the setting row the domain is stored as. */
  add(orgId: string, userId: string | null, setting: NormalizedSetting): Promise<SettingRow>;
  /** Deletes the domain (409 while addresses use it). */
  delete(orgId: string, domain: string): Promise<void>;
}
