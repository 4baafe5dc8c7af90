// Who may see what: anonymous visitors go to login, reviewers are refused the admin area.
import { expect, test } from "./fixtures";
import { admin, reviewer, signIn, watchErrors } from "./helpers";

test("an anonymous visitor is sent to the login page", async ({ page }) => {
  await page.goto("/review");
  await expect(page).toHaveURL(/\/login\?next=%2Freview|\/login\?next=\/review/);
  await expect(page.getByRole("heading", { name: "Sign in to Loupe" })).toBeVisible();
});

test("a wrong password is reported beside the password field", async ({ page }) => {
  const check = watchErrors(page);
  await page.goto("/login");
  await page.getByLabel("Username").fill(reviewer.username);
  await page.getByLabel("Password").fill("definitely-wrong");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator(".field:has(#password) .field-error")).toHaveText("wrong username or password");
  await expect(page).toHaveURL(/\/login/);
  check();
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("a wrong password comes back beside the password field, and signing in still works", async ({ page }) => {
    await page.goto("/login?next=%2Fhistory");
    await page.getByLabel("Username").fill(reviewer.username);
    await page.getByLabel("Password").fill("definitely-wrong");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.locator(".field:has(#password) .field-error")).toHaveText("wrong username or password");
    await expect(page).toHaveURL(/\/login\?next=%2Fhistory/);
    // A plain post reloads the page, so the form is empty again.
    await page.getByLabel("Username").fill(reviewer.username);
    await page.getByLabel("Password").fill(reviewer.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(/\/history$/);
  });
});

test("a reviewer is refused the admin area", async ({ page }) => {
  await signIn(page, reviewer);
  const response = await page.goto("/admin");
  expect(response?.status()).toBe(403);
  await expect(page.getByRole("heading", { name: "Not allowed" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Admin" })).toHaveCount(0);
});

test("an admin opens the admin area", async ({ page }) => {
  await signIn(page, admin, "/admin");
  await expect(page.getByRole("heading", { name: "Feedback dashboard" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Queue now" })).toBeVisible();
});

test("signing out from the header ends the session", async ({ page }) => {
  await signIn(page, reviewer, "/queue");
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto("/review");
  await expect(page).toHaveURL(/\/login\?next=/);
});
