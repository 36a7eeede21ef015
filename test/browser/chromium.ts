import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type BrowserContext, chromium } from "playwright-core";

/** The system Chromium (Debian's `chromium` package); set CHROMIUM_PATH for another Chromium or Chrome. */
const EXECUTABLE = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

/** Flags for CI machines and containers: no sandbox or GPU, and no background traffic of Chromium's own. */
const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Headless Chromium with a fresh profile in a temporary folder, driven by playwright-core (which downloads no
 * browser of its own).
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(EXECUTABLE)) {
    throw new Error(
      `No Chromium at ${EXECUTABLE}: install it (\`apt-get install chromium\` on Debian/Ubuntu, ` +
        "`brew install --cask chromium` on macOS) or point CHROMIUM_PATH at a Chromium or Chrome binary",
    );
  }
  const profile = mkdtempSync(path.join(tmpdir(), "messaging-settings-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: EXECUTABLE,
    headless: true,
    args: FLAGS,
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
