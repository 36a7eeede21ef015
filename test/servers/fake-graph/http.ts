import type { IncomingMessage, ServerResponse } from "node:http";

/** One request to the fake: the raw request/response, its URL, decoded path and the fake's origin. */
export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  path: string;
  origin: string;
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

export function noContent(res: ServerResponse) {
  res.writeHead(204).end();
}

/** Graph's error envelope. */
export const graphError = (res: ServerResponse, status: number, code: string, message: string) =>
  json(res, status, { error: { code, message, innerError: { date: new Date().toISOString() } } });

export async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const text = await readText(req);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const notFoundInStore = (res: ServerResponse) =>
  graphError(res, 404, "ErrorItemNotFound", "The specified object was not found in the store.");
