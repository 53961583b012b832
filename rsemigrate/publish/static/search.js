// Pagefind's UI where it can run (any static host); from a file:// URL browsers refuse the
// module and index fetches it needs, so the page says how to search instead of failing silently.
// A large edition has several indexes (pagefind/, pagefind-2/, ...: one per shard of thread
// pages, listed in data-merge); the UI loads the first and merges the others (Pagefind's
// documented multisite search), so one query searches them all.
window.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("search");
  if (location.protocol === "file:" || typeof PagefindUI === "undefined") {
    document.getElementById("search-note").hidden = false;
    return;
  }
  var base = new URL(".", location.href).pathname;
  var merged = (box.dataset.merge || "").split(" ").filter(Boolean).map(function (bundle) {
    return { bundlePath: new URL(bundle, location.href).pathname, baseUrl: base };
  });
  new PagefindUI({ element: "#search", showImages: false, baseUrl: base, mergeIndex: merged });
});
