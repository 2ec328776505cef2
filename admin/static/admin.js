// Small helpers for the admin pages (no framework; the CSP allows only this file).
document.addEventListener("DOMContentLoaded", () => {
  // A reply template fills the reply box; staff edit it before sending.
  document.querySelectorAll("select[data-target]").forEach((select) => {
    select.addEventListener("change", () => {
      const target = document.getElementById(select.dataset.target);
      if (target && select.value) { target.value = select.value; target.focus(); }
    });
  });
});
