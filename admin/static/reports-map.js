// The reports map. Points are SVG circles drawn by Leaflet itself, so they show even when the
// OpenStreetMap tiles cannot be loaded (offline, or the city's network blocks them).
document.addEventListener("DOMContentLoaded", () => {
  const element = document.getElementById("report-map");
  if (!element || typeof L === "undefined") return;
  const colours = { received: "#c2410c", in_progress: "#1d4ed8", resolved: "#15803d", rejected: "#6b7280", duplicate: "#6b7280" };
  const map = L.map(element, { zoomControl: true });
  L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
    maxZoom: 19, attribution: "&copy; OpenStreetMap contributors",
  }).addTo(map);

  function circle(lat, lon, status, urgent) {
    return L.circleMarker([lat, lon], {
      radius: urgent ? 10 : 7, color: "#111", weight: urgent ? 3 : 1,
      fillColor: colours[status] || "#c2410c", fillOpacity: 0.85,
    });
  }

  if (element.dataset.lat) {  // one report's place
    const lat = parseFloat(element.dataset.lat), lon = parseFloat(element.dataset.lon);
    circle(lat, lon, "received", false).addTo(map);
    map.setView([lat, lon], 17);
    return;
  }
  fetch(element.dataset.points, { credentials: "same-origin" })
    .then((response) => response.json())
    .then((points) => {
      const markers = points.map((p) => {
        const marker = circle(p.lat, p.lon, p.status, p.urgent);
        const link = document.createElement("a");
        link.href = p.url;
        link.textContent = `${p.receipt}：${p.category}`;
        marker.bindPopup(link);
        marker.addTo(map);
        return marker;
      });
      element.dataset.count = String(points.length);
      if (markers.length) map.fitBounds(L.featureGroup(markers).getBounds().pad(0.2), { maxZoom: 17 });
      else map.setView([34.69, 135.195], 12);  // the demo city; a real city sees its own reports
    });
});
