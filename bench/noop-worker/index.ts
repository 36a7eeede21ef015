/**
 * The no-op Worker the wrk hot-path comparison (bench/wrk-hot-path.mjs) measures against: it answers every
 * request with a fixed small JSON body and does nothing else, so its requests per second are the ceiling
 * that `wrangler dev` and workerd allow on this machine.
 */
export default {
  fetch(): Response {
    return new Response('{"ok":true}', { headers: { "content-type": "application/json" } });
  },
} satisfies ExportedHandler;
