// Shared steps for the specs: signing in with the keyboard, failing on any page error, and where
// screenshots go.
import { expect, type Page } from "@playwright/test";
import path from "node:path";

export const reviewer = { username: "rita", password: process.env.LOUPE_E2E_REVIEWER_PASSWORD ?? "" };
export const admin = { username: "admin", password: process.env.LOUPE_E2E_ADMIN_PASSWORD ?? "" };

/** Collects uncaught page errors; call the returned check at the end of a test. */
export function watchErrors(page: Page): () => void {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  return () => expect(errors, "uncaught errors in the page").toEqual([]);
}

/** Signs in through the login form using only the keyboard. */
export async function signIn(page: Page, who: { username: string; password: string }, path = "/review") {
  await page.goto(`/login?next=${encodeURIComponent(path)}`);
  await page.getByLabel("Username").focus();
  await page.keyboard.type(who.username);
  await page.keyboard.press("Tab");
  await page.keyboard.type(who.password);
  await page.keyboard.press("Enter");
  await page.waitForURL(`**${path}`);
}

/**
 * Waits until the island called `name` runs in the page (it adds itself to body's data-live).
 * Before that its forms post as plain HTML and reload the page, so a message shown in place
 * would be missed.
 */
export async function live(page: Page, name: string) {
  await expect(page.locator("body")).toHaveAttribute("data-live", new RegExp(`(^| )${name}( |$)`));
}

/** Skips on the review page until the task `id` is on screen (the reviewer may already hold earlier ones). */
export async function reach(page: Page, id: string) {
  const card = page.locator(".task-grid");
  for (let i = 0; i < 6 && (await card.getAttribute("data-task-id")) !== id; i++) {
    const before = await card.getAttribute("data-task-id");
    await page.keyboard.press("s");
    await expect(card).not.toHaveAttribute("data-task-id", before!);
  }
  await expect(card).toHaveAttribute("data-task-id", id);
}

/** Reads a task through the pipeline API with the token scripts/test.sh created. */
export async function apiTask(page: Page, id: string): Promise<any> {
  const res = await page.request.get(`/api/v1/tasks/${id}`, {
    headers: { Authorization: `Bearer ${process.env.LOUPE_TOKEN}` },
  });
  expect(res.status()).toBe(200);
  return res.json();
}

/**
 * Where a spec saves the screenshot called `name`: end2end/test-results/screenshots (a build
 * folder, ignored by git) unless LOUPE_SCREENSHOTS names another folder. scripts/screenshots.sh
 * points it at docs/ to refresh the README's pictures; a test run leaves tracked files alone.
 */
export function screenshotPath(name: string): string {
  return path.resolve(process.env.LOUPE_SCREENSHOTS ?? path.join(__dirname, "..", "test-results", "screenshots"), name);
}
