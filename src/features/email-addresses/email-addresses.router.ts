import { createRouter } from "@/lib/create-app";
import * as handlers from "./email-addresses.handlers";
import * as routes from "./email-addresses.routes";

// Static paths (`/primary`, `/epilot:provision`) are registered before `/{id}` so they win.
const router = createRouter()
  .openapi(routes.provisionEpilotEmailAddress, handlers.provisionEpilotEmailAddress)
  .openapi(routes.setEmailAddressPrimary, handlers.setEmailAddressPrimary)
  .openapi(routes.listEmailAddresses, handlers.listEmailAddresses)
  .openapi(routes.addEmailAddress, handlers.addEmailAddress)
  .openapi(routes.getEmailAddress, handlers.getEmailAddress)
  .openapi(routes.updateEmailAddress, handlers.updateEmailAddress)
  .openapi(routes.deleteEmailAddress, handlers.deleteEmailAddress);

export default router;
