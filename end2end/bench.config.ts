// Browser benchmarks (not tests): run by bench/browser.sh against a release build. Same
// Chromium and flags as the tests, so the figures describe what the tests exercise.
import { defineConfig } from "@playwright/test";
import base from "./playwright.config";

export default defineConfig({
  ...base,
  testDir: "./bench",
  testMatch: /.*\.bench\.ts/,
  timeout: 120_000,
});
