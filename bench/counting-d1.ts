/**
 * env.DB wrapped to count executed statements (and round trips: one per run/all/first/raw/batch/exec), for
 * the benches that report D1 statements per 1,000 messages (bench/mailbox-import.bench.ts,
 * bench/mailbox-move.bench.ts). A `db.batch` of n statements counts n. `onExecute`, when given, hears the SQL
 * of every statement as it starts (a batch's one by one), so a bench can mark where a step begins.
 */
export function countingD1(db: D1Database, onExecute?: (query: string) => void) {
  const counts = { statements: 0, roundTrips: 0 };
  const unwrap = new WeakMap<object, { statement: D1PreparedStatement; query: string }>();
  const executing = new Set(["run", "all", "first", "raw"]);
  const wrap = (statement: D1PreparedStatement, query: string): D1PreparedStatement => {
    const proxy = new Proxy(statement, {
      get(target, prop) {
        if (prop === "bind") return (...values: unknown[]) => wrap(target.bind(...values), query);
        const value = Reflect.get(target, prop, target);
        if (typeof value !== "function") return value;
        if (typeof prop === "string" && executing.has(prop)) {
          return (...args: unknown[]) => {
            counts.statements++;
            counts.roundTrips++;
            onExecute?.(query);
            return value.apply(target, args);
          };
        }
        return value.bind(target);
      },
    });
    unwrap.set(proxy, { statement, query });
    return proxy;
  };
  // A request's D1 session (src/middlewares/d1-session.ts) is counted like the database itself.
  const counted = <T extends object>(database: T): T =>
    new Proxy(database, {
      get(target: T & D1Database, prop) {
        if (prop === "withSession") return (constraint?: string) => counted(target.withSession(constraint));
        if (prop === "prepare") return (query: string) => wrap(target.prepare(query), query);
        if (prop === "batch") {
          return (statements: D1PreparedStatement[]) => {
            counts.statements += statements.length;
            counts.roundTrips++;
            for (const s of statements) onExecute?.(unwrap.get(s)?.query ?? "");
            return target.batch(statements.map((s) => unwrap.get(s)?.statement ?? s));
          };
        }
        if (prop === "exec") {
          return (query: string) => {
            counts.statements += query.split(";").filter((s) => s.trim()).length;
            counts.roundTrips++;
            onExecute?.(query);
            return target.exec(query);
          };
        }
        const value = Reflect.get(target, prop, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  return { db: counted(db), counts };
}
