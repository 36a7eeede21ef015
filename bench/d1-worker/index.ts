/**
 * The bare-D1 Worker of the wrk hot-path comparison (bench/wrk-hot-path.mjs): `GET /?org=<org id>` runs the
 * statement the API's list of email addresses runs (the SQL drizzle builds for it, prepared once) over the
 * same rows and answers them as JSON, with nothing else: no router, no auth, no zod, no mapping. Its requests
 * per second are the ceiling of a list served from local D1 on this machine, so list/bare-D1 shows what the
 * API adds on top of the query itself.
 */
interface Env {
  DB: D1Database;
}

const LIST_SQL =
  'select "id", "org_id", "address", "name", "user_ids", "group_ids", "default_signature_id", "shared_inbox_id", ' +
  '"is_active", "is_primary", "is_epilot_email_address", "created_at", "updated_at", "created_by", "updated_by" ' +
  'from "email_addresses" where "email_addresses"."org_id" = ? order by "email_addresses"."created_at", rowid';

let list: D1PreparedStatement | undefined;

export default {
  async fetch(request, env): Promise<Response> {
    const org = new URL(request.url).searchParams.get("org") ?? "";
    list ??= env.DB.prepare(LIST_SQL);
    const { results } = await list.bind(org).all();
    return Response.json(results);
  },
} satisfies ExportedHandler<Env>;
