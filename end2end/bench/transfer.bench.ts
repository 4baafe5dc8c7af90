// The review page's cold transfer, measured in the browser: a signed-in reviewer opens /review
// with an empty cache, and everything the page fetched until the desk answers keys is summed as
// it came over the wire (compressed bodies, from Resource Timing). Prints one line per file and
// the total; also fails if the page fetched a lazy island's WASM, which it never shows.
import { expect, test } from "@playwright/test";
import { reviewer, signIn } from "../tests/helpers";

test("review page, cold transfer", async ({ browser }) => {
  const signedIn = await browser.newContext();
  await signIn(await signedIn.newPage(), reviewer);
  const state = await signedIn.storageState();
  await signedIn.close();

  // A new context has its own, empty HTTP cache.
  const context = await browser.newContext({ storageState: state });
  const page = await context.newPage();
  await page.goto("/review");
  await expect(page.locator("body")).toHaveAttribute("data-keys", "ready");
  const files = await page.evaluate(() =>
    (performance.getEntriesByType("navigation") as PerformanceResourceTiming[])
      .concat(performance.getEntriesByType("resource") as PerformanceResourceTiming[])
      .map((e) => ({ path: new URL(e.name).pathname, bytes: e.encodedBodySize })),
  );
  let total = 0;
  for (const f of files) {
    console.log(`transfer: ${f.path.padEnd(48)} ${String(f.bytes).padStart(9)} B`);
    total += f.bytes;
  }
  console.log(`transfer: ${"total".padEnd(48)} ${String(total).padStart(9)} B`);
  expect(files.filter((f) => f.path.includes("/split_"))).toEqual([]);
  await context.close();
});
