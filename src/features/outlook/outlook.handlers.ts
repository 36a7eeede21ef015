import * as connections from "@/features/outlook/connections";
import * as callback from "@/features/outlook/oauth-callback";
import * as connect from "@/features/outlook/oauth-connect";
import type { Services } from "@/lib/services";
import type { AppRouteHandler } from "@/lib/types";
import { readFlowCookie, writeFlowCookie } from "./flow-cookie";
import type {
  ConnectOutlookRoute,
  DisconnectOutlookRoute,
  GetOutlookConnectionStatusRoute,
  OutlookOAuthCallbackRoute,
} from "./outlook.routes";
import type { TenantMailboxes } from "./tenant-mailboxes";

/** How the outlook handlers reach the mailboxes feature (wired by src/app.ts, see TenantMailboxes). */
export type TenantMailboxesOf = (services: Services) => TenantMailboxes;

export function outlookHandlers(tenantMailboxes: TenantMailboxesOf) {
  const connectOutlook: AppRouteHandler<ConnectOutlookRoute> = async (c) => {
    const answer = await connect.connectOutlook(
      c.get("services"),
      c.get("auth"),
      readFlowCookie(c),
      c.req.valid("query"),
    );
    writeFlowCookie(c, answer.cookie);
    return answer.status === 200 ? c.json(answer.body, 200) : c.json(answer.body, 403);
  };

  const outlookOAuthCallback: AppRouteHandler<OutlookOAuthCallbackRoute> = async (c) => {
    const services = c.get("services");
    const answer = await callback.outlookOAuthCallback(
      services,
      tenantMailboxes(services),
      c.req.valid("query"),
      readFlowCookie(c),
    );
    writeFlowCookie(c, answer.cookie);
    if (answer.status === 200) return c.json(answer.body, 200);
    return answer.status === 403 ? c.json(answer.body, 403) : c.json(answer.body, 400);
  };

  const getOutlookConnectionStatus: AppRouteHandler<GetOutlookConnectionStatusRoute> = async (c) =>
    c.json(await connections.getOutlookConnectionStatus(c.get("services"), c.get("auth").orgId), 200);

  const disconnectOutlook: AppRouteHandler<DisconnectOutlookRoute> = async (c) => {
    const services = c.get("services");
    return c.json(
      await connections.disconnectOutlook(
        services,
        tenantMailboxes(services),
        c.get("auth").orgId,
        c.req.valid("json").tenant_id,
      ),
      200,
    );
  };

  return { connectOutlook, outlookOAuthCallback, getOutlookConnectionStatus, disconnectOutlook };
}
