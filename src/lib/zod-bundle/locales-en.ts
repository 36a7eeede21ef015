/**
 * What the bundle gets for zod's locales index (`zod/v4/locales/index.js`): English only. zod re-exports all
 * of its ~50 locales from its namespace (`z.locales`, `z.core.locales`), and because `@hono/zod-openapi`
 * hands that namespace to `extendZodWithOpenApi(z)` as a value, the bundler cannot shake them out. The
 * Worker never selects another locale (zod registers English itself, and every message a user sees is
 * ours), so wrangler.toml `[alias]` maps zod's `../locales/index.js` imports here: the bundle answers the
 * same English messages.
 */
export { default as en } from "zod/v4/locales/en.js";
