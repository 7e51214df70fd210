// The console's media workbench (session page, review queue): what must run in the browser.
// - Pan: a zoomed image sits in a scrolling box (.pan-zone); drag it with the mouse, finger or
//   pen (or scroll) to bring any part into view. When the zoom changes, the point at the
//   centre of the box stays at the centre.
// - Clips: a liveness attempt is one <img data-frames="url url ..."> cycled through its stored
//   frames (each from the authenticated media route) by its play button [data-clip="img id"].
(function () {
  if (window.idvWorkbench) return;
  let drag = null;
  document.addEventListener("pointerdown", (e) => {
    const zone = e.target.closest && e.target.closest(".pan-zone");
    if (!zone || e.button !== 0) return;
    drag = { zone, x: e.clientX, y: e.clientY, left: zone.scrollLeft, top: zone.scrollTop, id: e.pointerId };
    zone.classList.add("panning");
    e.preventDefault();
  });
  document.addEventListener("pointermove", (e) => {
    if (!drag || e.pointerId !== drag.id) return;
    drag.zone.scrollLeft = drag.left - (e.clientX - drag.x);
    drag.zone.scrollTop = drag.top - (e.clientY - drag.y);
  });
  const end = () => { if (drag) drag.zone.classList.remove("panning"); drag = null; };
  document.addEventListener("pointerup", end);
  document.addEventListener("pointercancel", end);

  // Keep the centre when an image in a pan zone changes size (zoom in or out).
  const sizes = new WeakMap();
  const resized = new ResizeObserver((entries) => {
    for (const entry of entries) {
      const img = entry.target, zone = img.closest(".pan-zone");
      const before = sizes.get(img), w = img.offsetWidth, h = img.offsetHeight;
      sizes.set(img, { w, h });
      if (!zone || !before || !before.w || !before.h) continue;
      const cx = (zone.scrollLeft + zone.clientWidth / 2) / before.w;
      const cy = (zone.scrollTop + zone.clientHeight / 2) / before.h;
      zone.scrollLeft = cx * w - zone.clientWidth / 2;
      zone.scrollTop = cy * h - zone.clientHeight / 2;
    }
  });
  const watch = (root) => root.querySelectorAll && root.querySelectorAll(".pan-zone img").forEach((img) => {
    if (!img.dataset.watched) { img.dataset.watched = "1"; resized.observe(img); }
  });
  new MutationObserver((records) => records.forEach((r) => r.addedNodes.forEach((n) => n.nodeType === 1 && watch(n))))
    .observe(document.documentElement, { childList: true, subtree: true });
  watch(document);

  // Clips.
  const playing = new Map();
  function stop(img) {
    const p = playing.get(img);
    if (!p) return;
    clearInterval(p.timer);
    playing.delete(img);
    img.src = p.cover;
    if (p.button) p.button.setAttribute("aria-pressed", "false");
    img.dataset.playing = "";
  }
  function play(img, button) {
    if (playing.has(img)) { stop(img); return; }
    const frames = (img.dataset.frames || "").split(" ").filter(Boolean);
    if (!frames.length) return;
    frames.forEach((src) => { const pre = new Image(); pre.src = src; });
    let i = 0;
    const p = { cover: img.getAttribute("src"), button, timer: 0 };
    playing.set(img, p);
    if (button) button.setAttribute("aria-pressed", "true");
    img.dataset.playing = "1";
    p.timer = setInterval(() => {
      if (i >= frames.length || !img.isConnected) { stop(img); return; }
      img.src = frames[i++];
      img.dataset.frame = String(i);
    }, 125);
  }
  document.addEventListener("click", (e) => {
    const button = e.target.closest && e.target.closest("[data-clip]");
    if (!button) return;
    const img = document.getElementById(button.dataset.clip);
    if (img) play(img, button);
  });
  window.idvWorkbench = { play, stop };
})();
