import path from "node:path";
import { unstable_readConfig } from "wrangler";

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/**
 * wrangler.toml's [alias] table as Vite aliases, so the tests run the same module substitutes the deployed
 * bundle runs (src/lib/zod-bundle/, src/db/bundle/, the parse5 error codes). wrangler matches an import
 * specifier exactly; so do these patterns (a bare string would also match as a path prefix).
 */
export function wranglerBundleAliases(root: string): { find: RegExp; replacement: string }[] {
  const config = unstable_readConfig({ config: path.join(root, "wrangler.toml") }, { hideWarnings: true });
  const aliases: Record<string, string> = config.alias ?? {};
  return Object.entries(aliases).map(([specifier, target]) => ({
    find: new RegExp(`^${escapeRegExp(specifier)}$`),
    replacement: path.join(root, target),
  }));
}
