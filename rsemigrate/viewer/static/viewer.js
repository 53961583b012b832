// Shows the background verify's result on the overview when it is done. Reading never needs
// this script: without it the overview says the check is running and offers a reload.
"use strict";
(function () {
  const box = document.getElementById("verify");
  if (!box || !box.classList.contains("running")) return;
  const poll = async () => {
    const answer = await fetch(box.dataset.url, { credentials: "same-origin" });
    const result = await answer.json();
    if (result.state === "running") { setTimeout(poll, 1000); return; }
    box.className = "verify " + result.state;
    box.replaceChildren();
    const p = document.createElement("p");
    p.textContent = result.state === "passed"
      ? "Verified just now: every file matches the bag's manifests."
      : "Verification failed:";
    box.append(p);
    if (result.findings.length) {
      const list = document.createElement("ul");
      for (const finding of result.findings) {
        const item = document.createElement("li");
        item.textContent = finding;
        list.append(item);
      }
      box.append(list);
    }
  };
  poll();
})();
