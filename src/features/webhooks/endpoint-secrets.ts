/** The endpoints' signing secrets, sealed at rest (TOKEN_ENCRYPTION_KEYS) and bound to their endpoint. */
import type { WebhookEndpointRow } from "@/db/schema";
import { open, seal } from "@/shared/crypto/sealing";

/** Both secrets of an endpoint are sealed bound to it, so a sealed value copied to another row does not open. */
const secretContext = (orgId: string, endpointId: string) => JSON.stringify(["webhook_endpoint", orgId, endpointId]);

export const sealSecret = (keys: string | undefined, orgId: string, endpointId: string, secret: string) =>
  seal(keys, secret, secretContext(orgId, endpointId));

/** The secrets that sign a delivery now: the current one, and the previous one while its 24 h last. */
export async function signingSecrets(keys: string | undefined, row: WebhookEndpointRow, now: Date): Promise<string[]> {
  const context = secretContext(row.orgId, row.id);
  const secrets = [await open(keys, row.secretSealed, context)];
  if (row.previousSecretSealed && row.previousSecretExpiresAt && Date.parse(row.previousSecretExpiresAt) > +now) {
    secrets.push(await open(keys, row.previousSecretSealed, context));
  }
  return secrets;
}
