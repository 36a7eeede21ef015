import type { D1Migration } from "cloudflare:test";

declare global {
  namespace Cloudflare {
    interface GlobalProps {
      mainModule: typeof import("../src/index");
    }
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
      JWT_DEV_SECRET: string;
      TEST_JWKS_ADMIN_URL: string;
      TEST_SIGNING_KEYS: string;
      /** JSON of import("./servers/xss-corpora").XssCorpus[] */
      TEST_XSS_CORPORA: string;
    }
  }
}
