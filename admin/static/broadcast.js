// The compose screen: ask how many followers the ticked segment reaches, as staff tick the boxes.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("compose");
  const shown = document.getElementById("segment-size");
  if (!form || !shown) return;
  let timer = null;
  async function refresh() {
    const params = new URLSearchParams();
    for (const [name, value] of new FormData(form)) {
      if (["category", "area", "followed_after", "followed_before"].includes(name) && value) params.append(name, value);
    }
    try {
      const response = await fetch(shown.dataset.url + "?" + params.toString(), { credentials: "same-origin" });
      const body = await response.json();
      shown.textContent = response.ok ? body.recipients.toLocaleString("ja-JP") : "—";
    } catch (error) { shown.textContent = "—"; }
  }
  form.addEventListener("change", () => { clearTimeout(timer); timer = setTimeout(refresh, 200); });
  refresh();
});
