import { createRouter } from "@/lib/create-app";
import * as handlers from "./domains.handlers";
import * as routes from "./domains.routes";

const router = createRouter()
  .openapi(routes.getDomains, handlers.getDomains)
  .openapi(routes.addDomain, handlers.addDomain)
  .openapi(routes.deleteDomain, handlers.deleteDomain)
  .openapi(routes.verifyNameServers, handlers.verifyNameServers)
  .openapi(routes.verifyDomain, handlers.verifyDomain);

export default router;
