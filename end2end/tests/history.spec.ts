// A reviewer's history: the review just made is listed, and amending it keeps the earlier version.
import { expect, test } from "./fixtures";
import { apiTask, reviewer, signIn, watchErrors, live } from "./helpers";

test("a reviewer amends a review from their history", async ({ page }) => {
  const check = watchErrors(page);
  await signIn(page, reviewer);
  await expect(page.locator("body")).toHaveAttribute("data-keys", "ready");
  const card = page.locator(".task-grid");
  const id = await card.getAttribute("data-task-id");
  await page.keyboard.press("5");
  await page.keyboard.press("Enter");
  await expect(card).not.toHaveAttribute("data-task-id", id!);

  await page.goto("/history");
  await live(page, "history");
  const entry = page.locator("li.my-review").first();
  await expect(entry).toContainText("accept · rated 5");
  await entry.locator("summary").click();
  const form = entry.getByRole("form");
  await form.getByLabel("Rating").selectOption("2");
  await form.getByLabel("Verdict").selectOption("reject");
  await form.getByLabel("Comment").fill("On a second look the dates are wrong.");
  await form.getByRole("button", { name: "Save amendment" }).click();
  await expect(page.locator("li.my-review").first()).toContainText("reject · rated 2");
  await expect(page.locator("li.my-review").first()).toContainText("amended (1 earlier version kept)");

  const task = await apiTask(page, id!);
  const mine = task.reviews.find((r: any) => r.reviewer === "rita");
  expect(mine).toMatchObject({ rating: 2, verdict: "reject", comment: "On a second look the dates are wrong." });
  expect(mine.amended_at).toBeTruthy();
  check();
});
