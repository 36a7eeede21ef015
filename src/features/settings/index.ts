/**
 * What other features (domains) use of the legacy settings. The handlers call the operation modules
 * beside this file: lookup (get, list), add, update, delete. Nothing re-exported here may import another
 * feature: add.ts imports the domain feature, which imports this file.
 */
export type { DomainSettings } from "./domain-settings";
export { DOMAIN_STATE_KEYS, type NormalizedSetting } from "./fields";
export { type SettingView, toSettingResponse } from "./response";
