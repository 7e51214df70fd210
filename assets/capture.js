// Camera, frames and uploads of the capture flow. Images go to the capture
// API over HTTP (never over Reflex's websocket, which drops messages > 1 MB).
// Every public function returns a Promise of a JSON string for the
// rx.call_script callback.
(function () {
  "use strict";
  const api = (token, path) => "/api/capture/" + encodeURIComponent(token) + path;
  let stream = null;
  let facing = null;
  let qualityTimer = null;
  let qualityBusy = false;
  let qualityPausedUntil = 0;  // told WAIT: the hints ask again after the answer's retry_s, not every tick

  function video() { return document.getElementById("idv-video"); }
  function setText(id, text, tone) {
    const el = document.getElementById(id);
    if (!el) return;
    el.textContent = text || "";
    if (tone) el.dataset.tone = tone;
  }
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  async function waitFor(getter, ms) {
    const end = Date.now() + ms;
    while (Date.now() < end) { const v = getter(); if (v) return v; await sleep(50); }
    return null;
  }

  function isInApp() {
    const ua = navigator.userAgent || "";
    return /FBAN|FBAV|FB_IAB|Instagram|\bLine\/|; wv\)|WebView|Twitter|Snapchat|TikTok|musical_ly|MicroMessenger|LinkedInApp|Pinterest/i.test(ua);
  }

  async function checkCamera() {
    if (!window.isSecureContext) return JSON.stringify({ state: "insecure" });
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return JSON.stringify({ state: "absent" });
    try {
      const s = await navigator.mediaDevices.getUserMedia({ video: true, audio: false });
      s.getTracks().forEach((t) => t.stop());
      return JSON.stringify({ state: "ok" });
    } catch (e) {
      const name = (e && e.name) || "";
      if (name === "NotAllowedError" || name === "SecurityError" || name === "PermissionDeniedError") {
        return JSON.stringify({ state: "denied" });
      }
      return JSON.stringify({ state: "absent" });
    }
  }

  // One camera at a time: a second call for the same camera while the first is opening waits for it (the
  // selfie preview and a quick "I'm ready"), and a stream opened meanwhile for another replaces it, stopped.
  let opening = null;
  function startCamera(want) {
    if (opening && opening.want === want) return opening.promise;
    const promise = openCamera(want).finally(() => { if (opening && opening.promise === promise) opening = null; });
    opening = { want, promise };
    return promise;
  }

  async function openCamera(want) {
    const el = await waitFor(video, 5000);
    if (!el) throw new Error("no video element");
    if (stream && facing === want && el.srcObject === stream) return el;
    stopCamera();
    const opened = await navigator.mediaDevices.getUserMedia({
      audio: false,
      video: { facingMode: want, width: { ideal: 1280 }, height: { ideal: 720 } },
    });
    if (stream && stream !== opened) stream.getTracks().forEach((t) => t.stop());
    stream = opened;
    facing = want;
    el.srcObject = stream;
    el.muted = true;
    el.setAttribute("playsinline", "");
    await el.play().catch(() => {});
    await waitFor(() => el.videoWidth > 0, 5000);
    return el;
  }

  function stopCamera() {
    if (qualityTimer) { clearInterval(qualityTimer); qualityTimer = null; }
    if (stream) { stream.getTracks().forEach((t) => t.stop()); stream = null; facing = null; }
  }

  function grab(el, longSide, quality) {
    const w = el.videoWidth, h = el.videoHeight;
    const scale = Math.min(1, longSide / Math.max(w, h));
    const c = document.createElement("canvas");
    c.width = Math.round(w * scale); c.height = Math.round(h * scale);
    c.getContext("2d").drawImage(el, 0, 0, c.width, c.height);
    return new Promise((resolve) => c.toBlob(resolve, "image/jpeg", quality));
  }

  async function post(url, body) {
    const r = await fetch(url, { method: "POST", body: body, credentials: "same-origin",
      headers: { "Content-Type": "application/octet-stream" } });
    try { return await r.json(); } catch (e) { return { ok: false, code: "ERROR", message: "HTTP " + r.status }; }
  }

  // Everyone the server serves at once is busy (WAIT): show the place in line in `id`, ask again.
  async function postAdmitted(url, body, id) {
    let res = await post(url, body);
    for (let asked = 0; !res.ok && res.code === "WAIT" && asked < 400; asked++) {
      setText(id, res.message, "info");
      await sleep(1000 * (res.retry_s || 3));
      res = await post(url, body);
    }
    return res;
  }

  // Automatic capture (issue 12): the document whole, big enough and sharp (the server's "auto") in
  // AUTO_FRAMES consecutive answers whose corners moved less than AUTO_STEADY (a share of the frame)
  // from one to the next: the page presses its own "Take photo" button, so the photo goes the way a
  // person's press goes (and a press meanwhile is the same one). Any other answer starts over.
  // After a photo the automatic capture waits for a frame that is not ready (the card turned over, moved
  // away) before it counts again: the back is never the front taken twice while the person has not yet
  // turned the card. Without such a frame the button stays, and says "take the photo".
  const AUTO_FRAMES = 3, AUTO_STEADY = 0.02;
  let steady = [];
  let armed = true;
  let capturing = false;  // a document photo is on its way: a second press (or the automatic one) waits

  function moved(a, b) {
    return Math.max(...a.map((p, i) => Math.max(Math.abs(p[0] - b[i][0]), Math.abs(p[1] - b[i][1]))));
  }

  function followAuto(res) {
    const ready = res.ok && res.auto && res.corners && res.corners.length === 4;
    if (!ready && Array.isArray(res.problems)) armed = true;  // a frame judged, and not ready
    if (!armed) return false;
    if (!ready || (steady.length && moved(steady[steady.length - 1], res.corners) > AUTO_STEADY)) steady = [];
    if (ready) steady.push(res.corners);
    if (!steady.length) return false;
    setText("idv-feedback", res.auto_message, "good");
    if (steady.length < AUTO_FRAMES || capturing) return true;
    steady = [];
    const take = document.getElementById("idv-take");
    if (take && !take.disabled) { take.dataset.auto = "1"; take.click(); }
    return true;
  }

  async function startDocument(token) {
    try {
      const el = await startCamera("environment");
      if (qualityTimer) clearInterval(qualityTimer);
      steady = [];
      qualityTimer = setInterval(async () => {
        if (qualityBusy || capturing || !el.videoWidth || Date.now() < qualityPausedUntil) return;
        qualityBusy = true;
        try {
          const blob = await grab(el, 640, 0.8);
          const res = await post(api(token, "/quality"), blob);
          if (res.code === "WAIT") qualityPausedUntil = Date.now() + 1000 * (res.retry_s || 3);
          if (!capturing && !followAuto(res)) setText("idv-feedback", res.message, res.ok ? "good" : "warn");
          const box = document.getElementById("idv-guide");
          if (box) box.dataset.ok = res.ok ? "1" : "0";
        } catch (e) { /* the next tick tries again */ }
        qualityBusy = false;
      }, 500);
      return JSON.stringify({ ok: true });
    } catch (e) {
      return JSON.stringify({ ok: false, code: "CAMERA", message: String(e && e.name || e) });
    }
  }

  function docQuery(side, type, country) {
    return "/document?side=" + encodeURIComponent(side) + "&type=" + encodeURIComponent(type) +
      "&country=" + encodeURIComponent(country || "");
  }

  async function captureDocument(token, side, type, country) {
    const el = video();
    if (!el || !el.videoWidth) return JSON.stringify({ ok: false, code: "CAMERA", message: "" });
    if (capturing) return JSON.stringify({ ok: false, code: "IN_PROGRESS", message: "" });
    capturing = true;  // the quality hints and the automatic capture pause while this photo is sent
    steady = [];
    try {
      const blob = await grab(el, 4096, 0.92);
      const res = await postAdmitted(api(token, docQuery(side, type, country)), blob, "idv-feedback");
      if (res.ok) { stopCamera(); armed = false; }
      return JSON.stringify(res);
    } finally { capturing = false; }
  }

  async function uploadDocument(token, side, type, country) {
    const input = document.getElementById("idv-file");
    const file = input && input.files && input.files[0];
    if (!file) return JSON.stringify({ ok: false, code: "EMPTY", message: "" });
    const res = await postAdmitted(api(token, docQuery(side, type, country)), file, "idv-feedback");
    if (res.ok) { stopCamera(); input.value = ""; }
    return JSON.stringify(res);
  }

  function packFrames(frames) {  // [uint32 ms][uint32 length][jpeg] ...
    const size = frames.reduce((n, f) => n + 8 + f.bytes.byteLength, 0);
    const out = new Uint8Array(size);
    const view = new DataView(out.buffer);
    let pos = 0;
    for (const f of frames) {
      view.setUint32(pos, f.ms); view.setUint32(pos + 4, f.bytes.byteLength);
      out.set(new Uint8Array(f.bytes), pos + 8);
      pos += 8 + f.bytes.byteLength;
    }
    return out;
  }

  // The selfie step shows the person to themselves before "I'm ready", so that they can put their face in
  // the oval first. Nothing is sent until the attempt starts; runLiveness goes on with this stream.
  async function previewSelfie() {
    try {
      await startCamera("user");
      return JSON.stringify({ ok: true });
    } catch (e) {
      return JSON.stringify({ ok: false, code: "CAMERA", message: String(e && e.name || e) });
    }
  }

  // One liveness attempt. Each challenge has `start.seconds` from the previous one's answer (as the check
  // counts it), shown as a countdown in #idv-countdown; the attempt ends when they are all answered, or
  // when the pending one's time is up (plus a second for the frames on their way): waiting longer could
  // not pass it. "Checking your video" is said only once the camera has stopped.
  async function runLiveness(token) {
    let el;
    try { el = await startCamera("user"); } catch (e) {
      return JSON.stringify({ ok: false, code: "CAMERA", message: String(e && e.name || e) });
    }
    const start = await postAdmitted(api(token, "/liveness"), new Uint8Array(0), "idv-instruction");
    if (!start.ok) return JSON.stringify(start);
    const rid = start.resource_id;
    const n = start.challenges.length;
    const texts = start.texts || {};
    const perMs = 1000 * (start.seconds || 10), graceMs = 1000;
    const fps = 8, hardDeadline = Date.now() + perMs * n + 5000;
    const t0 = performance.now();
    let answered = 0, answeredAt = 0, pending = [], sending = null, done = false;
    setText("idv-instruction", start.instructions[0], "info");
    setText("idv-step-count", "1 / " + n);

    function countdown() {
      const left = Math.ceil((answeredAt + perMs - (performance.now() - t0)) / 1000);
      const el = document.getElementById("idv-countdown");
      if (el) el.dataset.left = String(Math.max(0, left));
      setText("idv-countdown", left > 0 ? (texts.seconds_left || "{s} s").replace("{s}", left) : texts.time_up || "",
        left > 3 ? "info" : "warn");
    }

    async function flush() {
      if (!pending.length) return;
      // At most the latest 24 frames (the server's limit per batch): frames that piled up behind a slow
      // answer are dropped rather than refused all together as a bad batch, which ended the attempt.
      const batch = pending.slice(-24); pending = [];
      const res = await post(api(token, "/liveness/" + rid + "/frames"), packFrames(batch));
      if (!res.ok && (res.code === "BUSY" || res.code === "SERVER_BUSY") && pending.length < 24) {
        pending = batch.concat(pending).slice(-24);  // the server was busy: send these frames again with the next
        return;
      }
      if (!res.ok) { done = true; return; }
      if (res.answered > answered) answeredAt = res.answered_at_ms || (performance.now() - t0);
      answered = res.answered;
      if (res.done) { done = true; setText("idv-instruction", start.face.ok, "good"); return; }
      setText("idv-instruction", start.instructions[answered], "info");
      setText("idv-step-count", (answered + 1) + " / " + n);
      // A face problem first; else a turn begun but too small: "turn a bit more".
      setText("idv-face", res.face !== "ok" ? start.face[res.face] : (res.hint ? start.hints[res.hint] : ""), "warn");
    }

    const timeUp = () => performance.now() - t0 > answeredAt + perMs + graceMs;
    while (!done && Date.now() < hardDeadline) {
      if (timeUp()) {
        // The pending challenge's time is up unless frames on their way show it answered: hear them first.
        if (sending) await sending;
        await flush();
        if (done || timeUp()) break;
      }
      const tick = performance.now();
      countdown();
      const blob = await grab(el, 480, 0.85);
      pending.push({ ms: Math.round(performance.now() - t0), bytes: await blob.arrayBuffer() });
      if (pending.length >= fps && !sending) { sending = flush().finally(() => { sending = null; }); }
      await sleep(Math.max(0, 1000 / fps - (performance.now() - tick)));
    }
    if (sending) await sending;
    await flush();
    stopCamera();
    setText("idv-countdown", "");
    setText("idv-face", "");
    setText("idv-instruction", texts.checking || "", "info");
    await post(api(token, "/liveness/" + rid + "/finish"), new Uint8Array(0));
    for (let i = 0; i < 180; i++) {
      const r = await fetch(api(token, "/liveness/" + rid), { credentials: "same-origin" });
      const res = await r.json();
      if (!res.ok || res.done) { res.resource_id = rid; setText("idv-instruction", ""); return JSON.stringify(res); }
      await sleep(1000);
    }
    setText("idv-instruction", "");
    return JSON.stringify({ ok: false, code: "ERROR", message: "" });
  }

  async function copyLink(text) {
    try { await navigator.clipboard.writeText(text); return "copied"; } catch (e) { return "failed"; }
  }

  window.idvCapture = { isInApp, checkCamera, startDocument, captureDocument, uploadDocument, previewSelfie,
    runLiveness, stopCamera, copyLink };
})();
