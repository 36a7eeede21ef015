import { createRouter } from "@/lib/create-app";
import { outlookHandlers, type TenantMailboxesOf } from "./outlook.handlers";
import * as routes from "./outlook.routes";

/** The Microsoft 365 connection operations; `tenantMailboxes` is the mailboxes feature's side of a tenant. */
export function createOutlookRouter(tenantMailboxes: TenantMailboxesOf) {
  const handlers = outlookHandlers(tenantMailboxes);
  return createRouter()
    .openapi(routes.connectOutlook, handlers.connectOutlook)
    .openapi(routes.outlookOAuthCallback, handlers.outlookOAuthCallback)
    .openapi(routes.getOutlookConnectionStatus, handlers.getOutlookConnectionStatus)
    .openapi(routes.disconnectOutlook, handlers.disconnectOutlook);
}
