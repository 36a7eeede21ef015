import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Browser, launchChromium } from "./chromium";
import { type LocalWorker, ROOT, startLocalWorker } from "./local-worker";

// `/docs` in a real browser (Debian's Chromium through playwright-core) against `wrangler dev`: the page must
// render from this Worker alone, under its CSP, and its "Test Request" panel must reach the API with a token.

const ADDRESSES = "/v2/email-settings/email-addresses";
/** Collects every CSP violation the page reports, from before its first script runs. */
const RECORD_VIOLATIONS = `
  window.__cspViolations = [];
  document.addEventListener("securitypolicyviolation", (e) => window.__cspViolations.push({
    directive: e.effectiveDirective, blocked: e.blockedURI, source: e.sourceFile,
  }));`;

interface Violation {
  directive: string;
  blocked: string;
  source: string;
}

interface OpenApiDocument {
  info: { title: string };
  paths: Record<string, Record<string, { tags?: string[] }>>;
}

let worker: LocalWorker;
let browser: Browser;
let doc: OpenApiDocument;

beforeAll(async () => {
  worker = await startLocalWorker();
  browser = await launchChromium();
  await browser.context.addInitScript({ content: RECORD_VIOLATIONS });
  doc = (await (await fetch(`${worker.url}/openapi.json`)).json()) as OpenApiDocument;
});

afterAll(async () => {
  await browser?.close();
  await worker?.stop();
});

/** What a page did besides rendering: requests to other origins (aborted), CSP reports, uncaught errors. */
interface Watched {
  page: Page;
  offsite: string[];
  cspConsole: string[];
  pageErrors: string[];
}

async function openDocs(context: BrowserContext): Promise<Watched> {
  const page = await context.newPage();
  const watched: Watched = { page, offsite: [], cspConsole: [], pageErrors: [] };
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (url.protocol !== "data:" && url.protocol !== "blob:" && url.origin !== worker.url) {
      watched.offsite.push(url.href);
    }
  });
  // Nothing may leave the machine even if the page tries: off-site requests are recorded above and aborted.
  await page.route(
    (url) => url.origin !== worker.url,
    (route) => route.abort(),
  );
  page.on("console", (message) => {
    if (/content security policy/i.test(message.text())) watched.cspConsole.push(message.text());
  });
  page.on("pageerror", (error) => watched.pageErrors.push(error.message));
  await page.goto(`${worker.url}/docs`);
  try {
    await page.getByRole("heading", { level: 1, name: doc.info.title }).waitFor();
  } catch (error) {
    const seen = { offsite: watched.offsite, cspConsole: watched.cspConsole, pageErrors: watched.pageErrors };
    throw new Error(`/docs did not render its title: ${(error as Error).message}\n${JSON.stringify(seen, null, 2)}`);
  }
  return watched;
}

/**
 * The page stayed on this origin, logged no CSP violation and threw nothing. The one report allowed is the
 * policy refusing `eval`: zod, inside Scalar's bundle, probes `Function("")` in a try/catch and falls back.
 */
async function expectContained({ page, offsite, cspConsole, pageErrors }: Watched) {
  expect(offsite).toEqual([]);
  expect(cspConsole).toEqual([]);
  expect(pageErrors).toEqual([]);
  const violations = (await page.evaluate("window.__cspViolations")) as Violation[];
  const bundle = `${worker.url}/docs/scalar/standalone.js`;
  const unexpected = violations.filter(
    (v) => !(v.directive === "script-src" && v.blocked === "eval" && v.source === bundle),
  );
  expect(unexpected).toEqual([]);
}

/** The tag of every operation in /openapi.json, in document order. */
function operationTags(): string[] {
  const tags = Object.values(doc.paths).flatMap((operations) =>
    Object.values(operations).flatMap((op) => op.tags ?? []),
  );
  return [...new Set(tags)];
}

const startingWith = (text: string) => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`);

function devToken(org: string): string {
  return execFileSync(process.execPath, ["scripts/token.mjs", "--org", org, "--user", "browser-test"], {
    cwd: ROOT,
    encoding: "utf8",
  }).trim();
}

describe("the /docs page in Chromium", () => {
  it("renders the API title and every operation group from this Worker alone, under its CSP", async () => {
    const watched = await openDocs(browser.context);
    const { page } = watched;
    await expect(page.title()).resolves.toBe(doc.info.title);
    const tags = operationTags();
    expect(tags.length).toBeGreaterThan(1);
    const sidebar = page.getByRole("complementary", { name: `Sidebar for ${doc.info.title}` });
    for (const tag of tags) {
      // Each group is listed in the sidebar, and following it shows the group's section heading.
      await sidebar.getByText(tag, { exact: true }).click();
      await page.getByRole("heading", { level: 2, name: startingWith(tag) }).waitFor();
    }
    await expectContained(watched);
    await page.close();
  });

  it("sends a request with a bearer token from the Test Request panel, and shows the API's answer", async () => {
    const org = `browser-${randomUUID()}`;
    const token = devToken(org);
    const address = `docs-${randomUUID().slice(0, 8)}@example.com`;
    const seeded = await fetch(`${worker.url}${ADDRESSES}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ address }),
    });
    expect(seeded.status, await seeded.clone().text()).toBe(201);

    const watched = await openDocs(browser.context);
    const { page } = watched;
    // The token typed once into the page's Authentication box is what the panel sends.
    await page.getByPlaceholder("Token").first().fill(token);
    const sidebar = page.getByRole("complementary", { name: `Sidebar for ${doc.info.title}` });
    await sidebar.getByText("Email addresses", { exact: true }).click();
    await sidebar.getByText("List the org's sender addresses in creation order", { exact: true }).click();
    const operation = page.locator(`section[id$="/GET${ADDRESSES}"]`);
    await operation.getByRole("button", { name: /Test Request/ }).click();
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === "GET" && new URL(r.url()).pathname === ADDRESSES),
      page.getByRole("button", { name: /^Send/ }).first().click(),
    ]);
    expect(response.request().headers().authorization).toBe(`Bearer ${token}`);
    expect(response.status()).toBe(200);
    const listed = (await response.json()) as { address: string }[];
    expect(listed.map((a) => a.address)).toEqual([address]);
    // The panel shows the answer to the person who sent it.
    await page.getByText("200 OK", { exact: true }).waitFor();
    await page.getByText(`"${address}"`).first().waitFor();
    await expectContained(watched);
    await page.close();
  });
});
