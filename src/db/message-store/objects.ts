import { sha256Hex } from "./keys";

/**
 * Writes to the message store that a redelivered task can repeat without writing twice: an object whose
 * stored checksum (`customMetadata.sha256`) already matches is left as it is; a body stored for a newer
 * Graph version (`customMetadata.graph_modified_at`) is never replaced by an older one (a replayed or
 * out-of-order delta page). Attachments are streamed into R2 with their length known up front
 * (FixedLengthStream), never held whole in memory, and hashed on the way.
 */

const encoder = new TextEncoder();

export type PutOutcome = "written" | "unchanged";

export interface TextObject {
  key: string;
  text: string;
  contentType: string;
  /** Graph's lastModifiedDateTime of the version (ISO), when known. */
  modifiedAt?: string | null;
  metadata?: Record<string, string>;
}

/** Stores a text object unless the same bytes (or a newer version) are there already. */
export async function putTextOnce(
  bucket: R2Bucket,
  object: TextObject,
): Promise<{ outcome: PutOutcome; size: number; sha256: string }> {
  const bytes = encoder.encode(object.text);
  const sha256 = await sha256Hex(bytes);
  const head = await bucket.head(object.key);
  const stored = head?.customMetadata ?? {};
  const newerStored = !!object.modifiedAt && !!stored.graph_modified_at && stored.graph_modified_at > object.modifiedAt;
  const same =
    stored.sha256 === sha256 && Object.entries(object.metadata ?? {}).every(([name, value]) => stored[name] === value);
  if (head && (same || newerStored)) return { outcome: "unchanged", size: bytes.byteLength, sha256 };
  await bucket.put(object.key, bytes, {
    sha256,
    httpMetadata: { contentType: object.contentType },
    customMetadata: {
      ...object.metadata,
      sha256,
      ...(object.modifiedAt && { graph_modified_at: object.modifiedAt }),
    },
  });
  return { outcome: "written", size: bytes.byteLength, sha256 };
}

/** Stores bytes already in memory (a small attachment) unless the same bytes are there. */
export async function putBytesOnce(
  bucket: R2Bucket,
  key: string,
  bytes: Uint8Array,
  contentType: string,
  metadata: Record<string, string> = {},
): Promise<{ outcome: PutOutcome; sha256: string }> {
  const sha256 = await sha256Hex(bytes);
  const head = await bucket.head(key);
  if (head && head.size === bytes.byteLength && head.customMetadata?.sha256 === sha256) {
    return { outcome: "unchanged", sha256 };
  }
  await bucket.put(key, bytes, { sha256, httpMetadata: { contentType }, customMetadata: { ...metadata, sha256 } });
  return { outcome: "written", sha256 };
}

/** Hex SHA-256 of a stream, read chunk by chunk. */
export async function hashStream(stream: ReadableStream<Uint8Array>): Promise<string> {
  const digest = new crypto.DigestStream("SHA-256");
  await stream.pipeTo(digest);
  const buffer = await digest.digest;
  return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The checksum of an object already complete at `key` (an R2 put lands whole or not at all), or null
 * when there is none of that length. A streamed object's checksum is known only after its upload, so
 * the object is read back (streamed) to learn it.
 */
export async function existingChecksum(bucket: R2Bucket, key: string, size: number): Promise<string | null> {
  const head = await bucket.head(key);
  if (!head || head.size !== size) return null;
  if (head.customMetadata?.sha256) return head.customMetadata.sha256;
  const object = await bucket.get(key);
  return object ? hashStream(object.body) : null;
}

export class StreamLengthError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StreamLengthError";
  }
}

const hex = (buffer: ArrayBuffer) => [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");

/** Copies `body` into both writers chunk by chunk, checking it is exactly `length` bytes. */
async function pump(
  body: ReadableStream<Uint8Array>,
  length: number,
  writers: WritableStreamDefaultWriter<Uint8Array>[],
): Promise<void> {
  const reader = body.getReader();
  let seen = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      seen += value.byteLength;
      if (seen > length) throw new StreamLengthError(`the attachment is longer than the ${length} bytes announced`);
      for (const writer of writers) await writer.write(value);
    }
    if (seen !== length) throw new StreamLengthError(`the attachment ended after ${seen} of ${length} bytes`);
    for (const writer of writers) await writer.close();
  } catch (err) {
    await reader.cancel().catch(() => undefined);
    for (const writer of writers) await writer.abort(err).catch(() => undefined);
    throw err;
  }
}

/**
 * Streams `body` (exactly `length` bytes) into `key`, hashing it on the way; a stream that ends early
 * or runs long fails the put (nothing is stored). Answers the checksum of what was stored.
 */
export async function putStream(
  bucket: R2Bucket,
  key: string,
  body: ReadableStream<Uint8Array>,
  length: number,
  contentType: string,
  metadata: Record<string, string> = {},
): Promise<{ sha256: string }> {
  const digest = new crypto.DigestStream("SHA-256");
  const digested = digest.digest;
  const fixed = new FixedLengthStream(length);
  const writers = [digest.getWriter(), fixed.writable.getWriter()];
  // Every promise that may reject is observed here (and its outcome read below), so none goes unhandled.
  digested.catch(() => undefined);
  for (const writer of writers) writer.closed.catch(() => undefined);
  const put = bucket.put(key, fixed.readable, { httpMetadata: { contentType }, customMetadata: metadata });
  const [pumped, stored] = await Promise.allSettled([pump(body, length, writers), put]);
  if (pumped.status === "rejected") {
    if (stored.status === "fulfilled") await bucket.delete(key);
    throw pumped.reason;
  }
  if (stored.status === "rejected") throw stored.reason;
  return { sha256: hex(await digested) };
}

/** Deletes every object under `prefix` (a message's, a mailbox's or an org's); answers how many. */
export async function deletePrefix(bucket: R2Bucket, prefix: string): Promise<number> {
  let deleted = 0;
  // Each round lists from the start: what was listed before is gone.
  for (let round = 0; round < 100_000; round++) {
    const listed = await bucket.list({ prefix, limit: 1000 });
    const keys = listed.objects.map((o) => o.key);
    if (keys.length === 0) break;
    await bucket.delete(keys);
    deleted += keys.length;
    if (!listed.truncated) break;
  }
  return deleted;
}
