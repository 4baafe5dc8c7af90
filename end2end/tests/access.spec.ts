// Who may see what: anonymous visitors go to login, reviewers are refused the admin area.
import { expect, test } from "@playwright/test";
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
