// Pagefind's UI where it can run (any static host); from a file:// URL browsers refuse the
// module and index fetches it needs, so the page says how to search instead of failing silently.
window.addEventListener("DOMContentLoaded", function () {
  if (location.protocol === "file:" || typeof PagefindUI === "undefined") {
    document.getElementById("search-note").hidden = false;
    return;
  }
  new PagefindUI({ element: "#search", showImages: false, baseUrl: new URL(".", location.href).pathname });
});
