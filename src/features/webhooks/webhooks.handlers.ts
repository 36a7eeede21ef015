import * as deliveries from "@/features/webhooks/deliveries";
import * as endpoints from "@/features/webhooks/endpoints";
import type { AppRouteHandler } from "@/lib/types";
import type {
  CreateWebhookRoute,
  DeleteWebhookRoute,
  GetWebhookRoute,
  ListWebhookDeliveriesRoute,
  ListWebhooksRoute,
  RedeliverWebhookEventRoute,
  RotateWebhookSecretRoute,
  SendTestWebhookEventRoute,
  UpdateWebhookRoute,
} from "./webhooks.routes";

export const createWebhook: AppRouteHandler<CreateWebhookRoute> = async (c) =>
  c.json(await endpoints.createWebhook(c.get("services"), c.get("auth"), c.req.valid("json")), 201);

export const listWebhooks: AppRouteHandler<ListWebhooksRoute> = async (c) =>
  c.json(await endpoints.listWebhooks(c.get("services"), c.get("auth")), 200);

export const getWebhook: AppRouteHandler<GetWebhookRoute> = async (c) =>
  c.json(await endpoints.getWebhook(c.get("services"), c.get("auth"), c.req.valid("param").id), 200);

export const updateWebhook: AppRouteHandler<UpdateWebhookRoute> = async (c) =>
  c.json(
    await endpoints.updateWebhook(c.get("services"), c.get("auth"), c.req.valid("param").id, c.req.valid("json")),
    200,
  );

export const deleteWebhook: AppRouteHandler<DeleteWebhookRoute> = async (c) => {
  await endpoints.deleteWebhook(c.get("services"), c.get("auth"), c.req.valid("param").id);
  return c.body(null, 204);
};

export const rotateWebhookSecret: AppRouteHandler<RotateWebhookSecretRoute> = async (c) =>
  c.json(await endpoints.rotateWebhookSecret(c.get("services"), c.get("auth"), c.req.valid("param").id), 200);

export const listWebhookDeliveries: AppRouteHandler<ListWebhookDeliveriesRoute> = async (c) =>
  c.json(
    await deliveries.listWebhookDeliveries(
      c.get("services"),
      c.get("auth"),
      c.req.valid("param").id,
      c.req.valid("query"),
    ),
    200,
  );

export const redeliverWebhookEvent: AppRouteHandler<RedeliverWebhookEventRoute> = async (c) => {
  const { id, event_id } = c.req.valid("param");
  return c.json(await deliveries.redeliverWebhookEvent(c.get("services"), c.get("auth"), id, event_id), 202);
};

export const sendTestWebhookEvent: AppRouteHandler<SendTestWebhookEventRoute> = async (c) =>
  c.json(await deliveries.sendTestWebhookEvent(c.get("services"), c.get("auth"), c.req.valid("param").id), 202);
