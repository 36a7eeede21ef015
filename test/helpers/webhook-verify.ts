import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { expect } from "vitest";

/**
 * Verification of recorded deliveries with the `standardwebhooks` package (the Standard Webhooks
 * reference library, not our code): what an integrator runs on their side.
 */
export interface RecordedRequest {
  headers: Record<string, string>;
  body: string;
  at: number;
}

/** Verifies `request` with `secret` and answers the parsed payload; fails the test when it does not verify. */
export function expectVerified(
  secret: string,
  request: RecordedRequest,
): { type: string; timestamp: string; data: unknown } {
  return new Webhook(secret).verify(request.body, request.headers) as {
    type: string;
    timestamp: string;
    data: unknown;
  };
}

/** Asserts that the verifier refuses `request` with `secret`, with a message matching `pattern`. */
export function expectRejected(secret: string, request: RecordedRequest, pattern: RegExp) {
  let error: unknown;
  try {
    new Webhook(secret).verify(request.body, request.headers);
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(WebhookVerificationError);
  expect((error as Error).message).toMatch(pattern);
}
