/**
 * The dependency rules of src/ (README "Layout"), checked by `npm run check`:
 * routes -> services -> {db, clients, shared, lib}; schemas -> shared; lib imports no feature code.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "An import cycle makes load order and ownership unclear; break it by moving the shared part down.",
      from: {},
      to: { circular: true },
    },
    {
      name: "handlers-call-services",
      severity: "error",
      comment: "Handlers parse, call one service function and respond; D1 access lives in src/services.",
      from: { path: "^src/routes/.+\\.handlers\\.ts$" },
      to: { path: ["^src/db/", "drizzle-orm"] },
    },
    {
      name: "services-know-no-http",
      severity: "error",
      comment: "Services never import routes or HTTP schemas: the same rule must serve the queue and cron.",
      from: { path: "^src/services/" },
      to: { path: ["^src/routes/", "^src/schemas/", "^src/middlewares/", "^src/app\\.ts$"] },
    },
    {
      name: "schemas-use-shared-helpers-only",
      severity: "error",
      comment: "Schemas describe HTTP bodies; they may use pure helpers in src/shared, never services or clients.",
      from: { path: "^src/schemas/" },
      to: { path: ["^src/services/", "^src/clients/", "^src/routes/"] },
    },
    {
      name: "lib-imports-no-feature",
      severity: "error",
      comment: "src/lib is the foundation every feature uses; it must not depend on any feature.",
      from: { path: "^src/lib/" },
      to: { path: ["^src/services/", "^src/routes/", "^src/schemas/", "^src/clients/", "^src/middlewares/"] },
    },
    {
      name: "features-meet-at-index",
      severity: "error",
      comment:
        "A feature uses another only through its front door (src/services/<feature>/index.ts), so each " +
        "feature's inside can change without reaching into the others.",
      from: { path: "^src/services/([^/]+)/" },
      to: { path: "^src/services/[^/]+/", pathNot: ["^src/services/$1/", "^src/services/[^/]+/index\\.ts$"] },
    },
    {
      name: "clients-and-shared-know-no-features",
      severity: "error",
      comment: "Clients (DNS, Graph, identity) and shared helpers are leaves below the services.",
      from: { path: "^src/(clients|shared)/" },
      to: { path: ["^src/services/", "^src/routes/", "^src/schemas/", "^src/middlewares/"] },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default"] },
  },
};
