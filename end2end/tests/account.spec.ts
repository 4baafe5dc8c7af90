// Changing one's own password at /account, with scripts and without: errors beside their fields,
// the other sessions signed out, this one kept. Uses its own account, `pw-rev` (scripts/test.sh
// adds it), and ends with its password as it began, so the spec can run again.
import type { Browser, Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { live, reviewer, signIn, watchErrors } from "./helpers";

const original = { username: "pw-rev", password: reviewer.password };
const changed = { username: "pw-rev", password: "a passphrase of my own" };

async function fillPasswords(page: Page, current: string, next: string, repeat: string) {
  await page.getByLabel("Current password").fill(current);
  await page.getByLabel("New password", { exact: true }).fill(next);
  await page.getByLabel("New password again").fill(repeat);
  await page.getByRole("button", { name: "Change password" }).click();
}

async function signedInElsewhere(browser: Browser, who: typeof original) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, who, "/queue");
  return { context, page };
}

test("changing my password signs out my other sessions and keeps this browser signed in", async ({ page, browser }) => {
  const check = watchErrors(page);
  const other = await signedInElsewhere(browser, original);
  await signIn(page, original, "/queue");
  await page.getByRole("link", { name: original.username }).click();
  await expect(page).toHaveURL(/\/account$/);
  await live(page, "account");

  await fillPasswords(page, "not my password", changed.password, changed.password);
  await expect(page.locator(".field:has(#current_password) .field-error")).toHaveText("wrong password");
  await fillPasswords(page, original.password, changed.password, "a passphrase of my owm");
  await expect(page.locator(".field:has(#repeat_password) .field-error")).toHaveText("does not match the new password");
  await expect(page).toHaveURL(/\/account$/);

  await fillPasswords(page, original.password, changed.password, changed.password);
  await expect(page).toHaveURL(/\/account\?changed/);
  await expect(page.getByRole("status")).toContainText("Password changed");
  // This session goes on; the other browser's is over.
  await page.goto("/queue");
  await expect(page).toHaveURL(/\/queue$/);
  await other.page.goto("/queue");
  await expect(other.page).toHaveURL(/\/login\?next=/);
  await other.context.close();
  check();
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the password form works as a plain HTML form", async ({ page }) => {
    // Signed in with the password the test before chose; ends by putting the original back.
    await page.goto("/login?next=%2Faccount");
    await page.getByLabel("Username").fill(changed.username);
    await page.getByLabel("Password").fill(changed.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(/\/account$/);

    await fillPasswords(page, "not my password", original.password, original.password);
    await expect(page.locator(".field:has(#current_password) .field-error")).toHaveText("wrong password");
    await fillPasswords(page, changed.password, original.password, original.password);
    await expect(page).toHaveURL(/\/account\?changed/);
    await expect(page.getByRole("status")).toContainText("Password changed");
  });
});
