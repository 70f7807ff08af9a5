// upload.mjs drives examples/upload in a real browser: Debian's Chromium,
// headless, through playwright-core (which downloads no browser of its
// own). It writes a 20 MiB file of random bytes to FILE, chooses it in the
// page's file picker and uploads it; the page must show the device's
// progress events part-way through (the upload is throttled to 4 MiB/s
// with the DevTools protocol, so that it lasts long enough for several)
// and then its answer: the file's name, size and SHA-256, which must be
// those of what was written. Comparing the stored file is the caller's
// part: scripts/browser-test.sh does it.
//
//	node upload.mjs http://127.0.0.1:PORT/ FILE [screenshot.png]
//
// CHROMIUM names the browser binary (default /usr/bin/chromium). It prints
// one line starting "upload e2e: PASS" and exits 0, or says what failed
// and exits 1.
import { createHash, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { basename } from "node:path";
import { chromium } from "playwright-core";

const [url, file, shot] = process.argv.slice(2);
if (!url || !file) {
  console.error("usage: node upload.mjs URL FILE [screenshot.png]");
  process.exit(2);
}

const fail = (msg) => {
  console.error("upload e2e: FAIL " + msg);
  process.exit(1);
};

// A bound on the whole run, so that a hang fails instead of waiting forever.
const timer = setTimeout(() => fail("still running after 90 s"), 90_000);

const size = 20 << 20;
const data = randomBytes(size);
writeFileSync(file, data);
const sha256 = createHash("sha256").update(data).digest("hex");
const name = basename(file);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  // Without the background-networking flags Chromium keeps trying hosts
  // that this closed network refuses.
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
try {
  const page = await browser.newPage({ viewport: { width: 720, height: 900 } });
  const pageErrors = [];
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  await page.goto(url);
  if ((await page.title()) !== "biplane upload") fail("title is " + JSON.stringify(await page.title()));
  await page.waitForFunction(() => document.getElementById("stream").textContent === "connected");

  // Over loopback 20 MiB would be gone before the first progress event:
  // throttle the page's uploads, not its downloads (the event stream).
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 4 << 20,
  });

  await page.setInputFiles("#file", file);
  const start = Date.now();
  await page.click("#send");
  await page.waitForFunction(() => /^(done|failed|aborted)/.test(document.getElementById("state").textContent),
    null, { timeout: 60_000 });
  const seconds = (Date.now() - start) / 1000;
  const state = await page.textContent("#state");
  const text = await page.textContent("#result");
  if (state !== "done") fail(`state ${JSON.stringify(state)}, answer ${JSON.stringify(text)}`);

  // The answer: what the device stored.
  let r;
  try {
    r = JSON.parse(text);
  } catch (e) {
    fail("answer is not JSON: " + JSON.stringify(text));
  }
  if (r.name !== name || r.bytes !== size || r.sha256 !== sha256) {
    fail(`answer ${text}, want name ${name}, ${size} bytes, sha256 ${sha256}`);
  }

  // The progress the page showed, from the device's events: at least one
  // value part-way through the body (which is the file and the form's
  // framing around it).
  const seen = (await page.textContent("#seen")).trim().split(/\s+/).filter(Boolean).map(Number);
  const total = Number(await page.textContent("#total"));
  const partway = seen.filter((n) => n > 0 && n < total);
  if (!(total > size) || partway.length === 0) {
    fail(`no progress value part-way through: seen [${seen.join(" ")}] of ${total}`);
  }
  if (pageErrors.length) fail("errors in the page: " + pageErrors.join("; "));
  if (shot) await page.screenshot({ path: shot, fullPage: true });
  console.log(`upload e2e: PASS ${name} ${size} bytes in ${seconds.toFixed(1)} s, ${seen.length} progress events` +
    ` (${partway.length} part-way, first ${seen[0]}, last ${seen[seen.length - 1]} of ${total}), sha256 ${sha256}`);
} finally {
  clearTimeout(timer);
  await browser.close();
}
