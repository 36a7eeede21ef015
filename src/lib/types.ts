import type { OpenAPIHono, RouteConfig, RouteHandler } from "@hono/zod-openapi";
import type { Services } from "./services";

/** Bindings from wrangler.toml plus the optional secrets that are never declared there. */
export type AppEnv = CloudflareBindings & {
  /** Local development only: enables HS256 tokens signed with this secret. */
  JWT_DEV_SECRET?: string;
  /** Client secret of the Microsoft 365 (Azure AD) app registration. */
  MS_CLIENT_SECRET?: string;
  /** `<key id>:<base64 256-bit key>[,...]`: the first seals tokens at rest, all open (rotation). */
  TOKEN_ENCRYPTION_KEYS?: string;
};

/** Who is calling and for which organization; every query is scoped by `orgId`. */
export interface AuthContext {
  orgId: string;
  userId: string | undefined;
  /** The org the token itself names, before any `x-epilot-org-id` / `x-ivy-org-id` switch. */
  tokenOrgId: string | undefined;
  isInternalService: boolean;
}

export interface AppBindings {
  Bindings: AppEnv;
  Variables: {
    requestId: string;
    auth: AuthContext;
    /** What the handlers hand to the services (src/lib/services.ts), set before every route. */
    services: Services;
  };
}

export type AppOpenAPI = OpenAPIHono<AppBindings>;

export type AppRouteHandler<R extends RouteConfig> = RouteHandler<R, AppBindings>;
