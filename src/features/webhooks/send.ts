/**
 * One HTTP delivery attempt: POST the signed payload, no redirects followed, bounded by a timeout, at most
 * 1 KB of the answer kept for the delivery log.
 */
import { parseRetryAfter } from "./retry";
import { signatureHeader } from "./signing";

export const RESPONSE_BODY_MAX_BYTES = 1024;

export interface SendInput {
  url: string;
  eventId: string;
  payload: string;
  secrets: string[];
  timeoutMs: number;
  now: Date;
}

export interface SendOutcome {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  responseBody: string | null;
  retryAfterSeconds?: number;
}

/** The first RESPONSE_BODY_MAX_BYTES bytes of a body as text; the rest is never read. */
async function bodyHead(response: Response): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < RESPONSE_BODY_MAX_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    reader.cancel().catch(() => undefined);
  }
  const bytes = new Uint8Array(Math.min(size, RESPONSE_BODY_MAX_BYTES));
  let offset = 0;
  for (const chunk of chunks) {
    const part = chunk.subarray(0, bytes.length - offset);
    bytes.set(part, offset);
    offset += part.length;
    if (offset >= bytes.length) break;
  }
  return new TextDecoder().decode(bytes);
}

function failureText(status: number, response: Response): string {
  if (status >= 300 && status < 400) {
    const location = (response.headers.get("location") ?? "").slice(0, 200);
    return `Answered ${status} (redirect${location ? ` to ${location}` : ""}); redirects are not followed`;
  }
  return `Answered ${status}; a 2xx status is expected`;
}

export async function sendDelivery(input: SendInput): Promise<SendOutcome> {
  const timestamp = Math.floor(+input.now / 1000);
  const headers = {
    "content-type": "application/json",
    "user-agent": "epilot-webhooks/1",
    "webhook-id": input.eventId,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": await signatureHeader(input.secrets, input.eventId, timestamp, input.payload),
  };
  let response: Response;
  try {
    response = await fetch(input.url, {
      method: "POST",
      headers,
      body: input.payload,
      redirect: "manual",
      signal: AbortSignal.timeout(input.timeoutMs),
    });
  } catch (err) {
    const name = (err as Error).name;
    const error =
      name === "TimeoutError" || name === "AbortError"
        ? `No answer within ${input.timeoutMs} ms`
        : `Connection failed: ${((err as Error).message || name).slice(0, 200)}`;
    return { ok: false, statusCode: null, error, responseBody: null };
  }
  const responseBody = await bodyHead(response).catch(() => "");
  const ok = response.status >= 200 && response.status < 300;
  const throttled = response.status === 429 || response.status === 503;
  return {
    ok,
    statusCode: response.status,
    error: ok ? null : failureText(response.status, response),
    responseBody,
    ...(throttled && { retryAfterSeconds: parseRetryAfter(response.headers.get("retry-after"), input.now) }),
  };
}
