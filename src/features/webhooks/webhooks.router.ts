import { WebhookEventSchema } from "@/features/webhooks/webhooks.schemas";
import { createRouter } from "@/lib/create-app";
import * as handlers from "./webhooks.handlers";
import * as routes from "./webhooks.routes";

const router = createRouter()
  .openapi(routes.createWebhook, handlers.createWebhook)
  .openapi(routes.listWebhooks, handlers.listWebhooks)
  .openapi(routes.getWebhook, handlers.getWebhook)
  .openapi(routes.updateWebhook, handlers.updateWebhook)
  .openapi(routes.deleteWebhook, handlers.deleteWebhook)
  .openapi(routes.rotateWebhookSecret, handlers.rotateWebhookSecret)
  .openapi(routes.listWebhookDeliveries, handlers.listWebhookDeliveries)
  .openapi(routes.redeliverWebhookEvent, handlers.redeliverWebhookEvent)
  .openapi(routes.sendTestWebhookEvent, handlers.sendTestWebhookEvent);

// The payload of every event type, documented in /openapi.json even where no operation answers it.
router.openAPIRegistry.register("WebhookEvent", WebhookEventSchema);

export default router;
