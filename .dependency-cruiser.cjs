/**
 * The dependency rules of src/ (README "Layout"), checked by `npm run check`:
 * entry, app -> features (routes -> handlers -> services) -> {db, clients, shared, lib}; lib imports no feature.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment:
        "An import cycle makes load order and ownership unclear; break it by moving the shared part down. A cycle " +
        "through a type-only import is erased at run time: the mailbox's Durable Object class (an entry point that " +
        "loads feature code on demand) is named by type where features reach it (mailboxes/sync/lock-stub.ts).",
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ["type-only"] } },
    },
    {
      name: "handlers-call-services",
      severity: "error",
      comment: "Handlers parse, call one service function and respond; storage lives in the services and stores.",
      from: { path: "^src/features/[^/]+/[^/]+\\.handlers\\.ts$" },
      to: { path: ["^src/db/", "drizzle-orm"] },
    },
    {
      name: "services-know-no-http",
      severity: "error",
      comment: "Services never import routes, handlers or HTTP schemas: the same rule must serve the queue and cron.",
      from: { path: "^src/features/", pathNot: "\\.(routes|router|handlers|schemas)\\.ts$" },
      to: { path: ["\\.(routes|router|handlers|schemas)\\.ts$", "^src/middlewares/", "^src/app\\.ts$"] },
    },
    {
      name: "schemas-use-shared-helpers-only",
      severity: "error",
      comment: "Schemas describe HTTP bodies; they may use pure helpers and other rooms' schemas, never services.",
      from: { path: "\\.schemas\\.ts$" },
      to: { path: ["^src/features/", "^src/clients/"], pathNot: "\\.schemas\\.ts$" },
    },
    {
      name: "lib-imports-no-feature",
      severity: "error",
      comment: "src/lib is the foundation every feature uses; it must not depend on any feature.",
      from: { path: "^src/lib/" },
      to: { path: ["^src/features/", "^src/clients/", "^src/middlewares/", "^src/entry/"] },
    },
    {
      name: "features-meet-at-index",
      severity: "error",
      comment:
        "A feature uses another only through its front door (src/features/<feature>/index.ts; a schema may " +
        "use another room's <room>.schemas.ts), so each feature's inside can change without reaching into the others.",
      from: { path: "^src/features/([^/]+)/" },
      to: {
        path: "^src/features/[^/]+/",
        pathNot: ["^src/features/$1/", "^src/features/[^/]+/index\\.ts$", "^src/features/[^/]+/[^/]+\\.schemas\\.ts$"],
      },
    },
    {
      name: "features-get-services-handed-in",
      severity: "error",
      comment:
        "Features take the Services they are handed; only entry points build them (src/entry). The mailbox's " +
        "Durable Object class is one: the platform constructs it with env.",
      from: { path: "^src/features/", pathNot: "^src/features/mailboxes/sync/sync-lock\\.ts$" },
      to: { path: "^src/entry/" },
    },
    {
      name: "storage-knows-no-features",
      severity: "error",
      comment: "src/db (schema, client, stores shared by several features) sits below every feature.",
      from: { path: "^src/db/" },
      to: { path: ["^src/features/", "^src/middlewares/", "^src/entry/", "^src/app\\.ts$"] },
    },
    {
      name: "clients-and-shared-know-no-features",
      severity: "error",
      comment: "Clients (DNS, Graph, identity) and shared helpers are leaves below the services.",
      from: { path: "^src/(clients|shared)/" },
      to: { path: ["^src/features/", "^src/middlewares/"] },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    // Tests sit beside their feature (src/features/<room>/test/) but are not part of the Worker.
    exclude: { path: "^src/features/[^/]+/test/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default"] },
  },
};
