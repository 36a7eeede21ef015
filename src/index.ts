import app from "./app";
import type { AppEnv } from "./lib/types";

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<AppEnv>;
