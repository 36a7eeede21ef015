import type { AppRouteHandler } from "@/lib/types";
import { tenantMailboxes } from "@/services/mailboxes";
import * as connections from "@/services/outlook/connections";
import * as callback from "@/services/outlook/oauth-callback";
import * as connect from "@/services/outlook/oauth-connect";
import { readFlowCookie, writeFlowCookie } from "./flow-cookie";
import type {
  ConnectOutlookRoute,
  DisconnectOutlookRoute,
  GetOutlookConnectionStatusRoute,
  OutlookOAuthCallbackRoute,
} from "./outlook.routes";

export const connectOutlook: AppRouteHandler<ConnectOutlookRoute> = async (c) => {
  const answer = await connect.connectOutlook(c.env, c.get("auth"), readFlowCookie(c), c.req.valid("query"));
  writeFlowCookie(c, answer.cookie);
  return answer.status === 200 ? c.json(answer.body, 200) : c.json(answer.body, 403);
};

export const outlookOAuthCallback: AppRouteHandler<OutlookOAuthCallbackRoute> = async (c) => {
  const answer = await callback.outlookOAuthCallback(
    c.env,
    tenantMailboxes(c.env),
    c.req.valid("query"),
    readFlowCookie(c),
  );
  writeFlowCookie(c, answer.cookie);
  if (answer.status === 200) return c.json(answer.body, 200);
  return answer.status === 403 ? c.json(answer.body, 403) : c.json(answer.body, 400);
};

export const getOutlookConnectionStatus: AppRouteHandler<GetOutlookConnectionStatusRoute> = async (c) =>
  c.json(await connections.getOutlookConnectionStatus(c.env, c.get("auth").orgId), 200);

export const disconnectOutlook: AppRouteHandler<DisconnectOutlookRoute> = async (c) =>
  c.json(
    await connections.disconnectOutlook(
      c.env,
      tenantMailboxes(c.env),
      c.get("auth").orgId,
      c.req.valid("json").tenant_id,
    ),
    200,
  );
