// The `test` every spec uses: Playwright's, plus a guard that fails the test on any Content
// Security Policy violation in any page it opened. Loupe's CSP (server/src/headers.rs) allows
// only its own scripts and inline scripts carrying the answer's nonce; a violation means either a
// page that no longer runs under it or markup that escaped into the page and tried to run.
import { test as base, expect, type BrowserContext } from "@playwright/test";

/**
 * Records every CSP violation in `context`'s pages into `violations` (Chromium reports each on
 * the console, and the page's `securitypolicyviolation` event names the directive); returns the
 * list, which the caller checks is empty at the end.
 */
export async function watchCsp(context: BrowserContext, violations: string[] = []): Promise<string[]> {
  const watch = (page: import("@playwright/test").Page) =>
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(`${page.url()}: ${message.text()}`);
    });
  context.pages().forEach(watch);
  context.on("page", watch);
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) =>
      console.error(`Content Security Policy violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`),
    );
  });
  return violations;
}

export const test = base.extend<{ cspGuard: void }>({
  cspGuard: [
    async ({ context }, use) => {
      const violations = await watchCsp(context);
      await use();
      expect(violations, "Content Security Policy violations").toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
