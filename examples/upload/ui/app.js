// The upload page's script: it sends the chosen file as a form to
// POST /upload, and shows the device's view of it from /events (Server-
// Sent Events named "progress", "done" and "abort"), matched by file name,
// then the device's answer.
"use strict";

const $ = (id) => document.getElementById(id);
let want = null; // the file name of the upload in progress
let events = 0;
let seen = []; // the last progress values shown
let bodyTotal = -1; // the body's size, as the last progress event gave it

function show(state, bytes, total) {
  $("state").textContent = state;
  $("bytes").textContent = String(bytes);
  $("total").textContent = total >= 0 ? String(total) : "?";
  if (total > 0) {
    $("bar").max = total;
    $("bar").value = bytes;
  }
}

function connect() {
  const es = new EventSource("/events");
  es.addEventListener("open", () => { $("stream").textContent = "connected"; });
  es.addEventListener("error", () => { $("stream").textContent = "reconnecting"; });
  es.addEventListener("progress", (ev) => {
    const p = JSON.parse(ev.data);
    if (want === null || p.name !== want) return;
    events++;
    $("events").textContent = String(events);
    seen.push(p.bytes);
    if (seen.length > 100) seen.shift();
    $("seen").textContent = seen.join(" ");
    bodyTotal = p.total;
    show("uploading", p.bytes, p.total);
  });
  es.addEventListener("abort", (ev) => {
    const p = JSON.parse(ev.data);
    if (want !== null && p.name === want) $("state").textContent = "aborted: " + p.error;
  });
}

$("form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const file = $("file").files[0];
  if (!file) return;
  want = file.name;
  events = 0;
  seen = [];
  bodyTotal = -1;
  $("events").textContent = "0";
  $("seen").textContent = "";
  $("result").textContent = "";
  show("uploading", 0, file.size);
  const body = new FormData();
  body.append("file", file);
  const headers = {};
  if ($("token").value) headers.Authorization = "Bearer " + $("token").value;
  $("send").disabled = true;
  try {
    const resp = await fetch("/upload", { method: "POST", body, headers });
    const text = await resp.text();
    $("result").textContent = text.trim();
    if (resp.ok) {
      // The whole body arrived: the form's framing and the file.
      const whole = bodyTotal >= 0 ? bodyTotal : file.size;
      show("done", whole, whole);
      $("bar").value = $("bar").max;
    } else {
      $("state").textContent = "failed: " + resp.status;
    }
  } catch (e) {
    $("state").textContent = "failed: " + e;
  } finally {
    $("send").disabled = false;
  }
});

connect();
