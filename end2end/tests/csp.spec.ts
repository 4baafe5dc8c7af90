// The Content Security Policy in real Chromium: a script Loupe did not sign does not run, and the
// guard every spec runs under (tests/fixtures.ts) sees the violation, so a page that breaks the
// policy fails its spec.
import { expect, test, watchCsp } from "./fixtures";
import { reviewer, signIn } from "./helpers";

test("an inline script Loupe did not sign does not run, and the guard reports it", async ({ browser }) => {
  const context = await browser.newContext();
  const violations = await watchCsp(context);
  const page = await context.newPage();
  await signIn(page, reviewer, "/queue");
  expect(violations, "Loupe's own page runs under its policy").toEqual([]);
  await page.evaluate(() => {
    const script = document.createElement("script");
    script.textContent = "window.__injected = true";
    document.body.append(script);
  });
  expect(await page.evaluate(() => (window as any).__injected)).toBeUndefined();
  await expect.poll(() => violations.length).toBeGreaterThan(0);
  expect(violations.join("\n")).toContain("script-src");
  await context.close();
});

test("after signing out, Back shows the sign-in page, not the document from the cache", async ({ page }) => {
  await signIn(page, reviewer, "/history");
  await page.goto("/queue");
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL("**/login");
  await page.goBack();
  await expect(page).toHaveURL(/\/login/);
});
