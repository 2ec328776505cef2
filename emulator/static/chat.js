// The chat page: a person plays a citizen against the bot through /_emulator/say and watches
// the conversation through /_emulator/messages (polled every second). No build step, no CDN.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const chat = $("chat");
  const quickBar = $("quick-replies");
  let since = 0;
  let lastEntry = null;
  let polling = false;

  // ---- user id -------------------------------------------------------------------------

  function newUserId() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return "U" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function userId() {
    return $("user-id").value.trim();
  }

  function switchUser(id) {
    $("user-id").value = id;
    localStorage.setItem("emulator.userId", id);
    since = 0;
    lastEntry = null;
    chat.replaceChildren();
    quickBar.replaceChildren();
  }

  // ---- talking to the emulator -----------------------------------------------------------

  function setStatus(text, isError) {
    $("status").textContent = text;
    $("status").classList.toggle("error", Boolean(isError));
  }

  async function say(payload) {
    const body = Object.assign({ user_id: userId() }, payload);
    const name = $("display-name").value.trim();
    if (name) body.display_name = name;
    try {
      const res = await fetch("/_emulator/say", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      const data = await res.json();
      if (!res.ok) setStatus("送信できませんでした: " + data.message, true);
      else setStatus("Bot の応答ステータス: " + data.status, data.status >= 400);
    } catch (err) {
      setStatus("エミュレータに接続できません: " + err, true);
    }
    poll();
  }

  async function poll() {
    const id = userId();
    if (!id || polling) return;
    polling = true;
    try {
      const res = await fetch(`/_emulator/messages?user_id=${encodeURIComponent(id)}&since=${since}`);
      if (!res.ok) return;
      const entries = await res.json();
      if (id !== userId()) return; // the user was switched while we waited
      for (const entry of entries) {
        if (entry.seq <= since) continue; // already shown
        since = entry.seq;
        lastEntry = entry;
        chat.appendChild(render(entry));
      }
      if (entries.length) {
        chat.scrollTop = chat.scrollHeight;
        renderQuickReplies();
      }
    } catch (err) {
      setStatus("エミュレータに接続できません: " + err, true);
    } finally {
      polling = false;
    }
  }

  // ---- actions (quick replies, template and flex buttons) ---------------------------------

  function sendLocation(title) {
    const latitude = parseFloat($("lat").value);
    const longitude = parseFloat($("lng").value);
    if (Number.isNaN(latitude) || Number.isNaN(longitude)) {
      setStatus("緯度と経度を入力してください", true);
      return;
    }
    const payload = { type: "location", latitude, longitude, address: "(エミュレータ)" };
    if (title) payload.title = title;
    say(payload);
  }

  function runAction(action) {
    switch (action.type) {
      case "postback": {
        const payload = { type: "postback", data: action.data || "" };
        if (action.displayText) payload.display_text = action.displayText;
        say(payload);
        break;
      }
      case "message":
        say({ text: action.text || action.label });
        break;
      case "location":
        sendLocation($("loc-title").value.trim());
        break;
      case "datetimepicker": {
        const value = prompt("日時を入力してください (" + (action.mode || "datetime") + ")", "");
        if (value !== null) {
          say({ type: "postback", data: action.data || "", params: { [action.mode || "datetime"]: value } });
        }
        break;
      }
      case "camera":
      case "cameraRoll":
        $("image").click();
        break;
      case "uri":
        window.open(action.uri, "_blank", "noopener");
        break;
      default:
        setStatus("このアクションはエミュレータでは未対応です: " + action.type, true);
    }
  }

  // ---- rich menu ----------------------------------------------------------------------
  let menuShown = null;

  async function loadRichMenu() {
    try {
      const res = await fetch("/_emulator/richmenu");
      const menu = res.ok ? await res.json() : null;
      const key = menu ? menu.richMenuId : null;
      if (key === menuShown) return;
      menuShown = key;
      renderRichMenu(menu);
    } catch (e) { /* the emulator restarted: try again on the next tick */ }
  }

  function renderRichMenu(menu) {
    const section = $("rich-menu");
    const panel = $("rich-menu-panel");
    panel.querySelectorAll(".rich-menu-area").forEach((node) => node.remove());
    if (!menu) { section.hidden = true; return; }
    section.hidden = false;
    $("rich-menu-toggle").textContent = (menu.chatBarText || "メニュー") + " ▾";
    $("rich-menu-image").src = menu.image_url + "?v=" + encodeURIComponent(menu.richMenuId);
    panel.hidden = !menu.selected;
    const width = menu.size.width, height = menu.size.height;
    for (const area of menu.areas) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "rich-menu-area";
      button.style.left = (100 * area.bounds.x / width) + "%";
      button.style.top = (100 * area.bounds.y / height) + "%";
      button.style.width = (100 * area.bounds.width / width) + "%";
      button.style.height = (100 * area.bounds.height / height) + "%";
      button.setAttribute("aria-label", area.action.label || area.action.displayText || area.action.data || "");
      button.addEventListener("click", () => runAction(area.action));
      panel.appendChild(button);
    }
  }

  function actionButton(action) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = action.label || action.displayText || action.text || action.type;
    button.addEventListener("click", () => runAction(action));
    return button;
  }

  // LINE shows quick reply buttons only while the message carrying them is the latest one.
  function renderQuickReplies() {
    quickBar.replaceChildren();
    if (!lastEntry || lastEntry.from !== "bot") return;
    const items = (lastEntry.message.quickReply || {}).items || [];
    for (const item of items) {
      if (item.action) quickBar.appendChild(actionButton(item.action));
    }
  }

  // ---- rendering -------------------------------------------------------------------------

  function collectActions(node, found) {
    if (Array.isArray(node)) {
      node.forEach((child) => collectActions(child, found));
    } else if (node && typeof node === "object") {
      if (node.action && typeof node.action === "object" && node.action.type) found.push(node.action);
      for (const [key, value] of Object.entries(node)) {
        if (key !== "action" && key !== "defaultAction") collectActions(value, found);
      }
    }
    return found;
  }

  function textDiv(text, className) {
    const div = document.createElement("div");
    if (className) div.className = className;
    div.textContent = text;
    return div;
  }

  function image(src) {
    const img = document.createElement("img");
    img.src = src;
    img.alt = "画像";
    return img;
  }

  function withActions(bubble, actions) {
    if (!actions.length) return;
    const box = document.createElement("div");
    box.className = "actions";
    actions.forEach((action) => box.appendChild(actionButton(action)));
    bubble.appendChild(box);
  }

  function fillBotBubble(bubble, m) {
    if (m.type === "text") bubble.textContent = m.text;
    else if (m.type === "image") bubble.appendChild(image(m.previewImageUrl || m.originalContentUrl));
    else if (m.type === "sticker") bubble.textContent = "[スタンプ]";
    else if (m.type === "location") bubble.textContent = "📍 " + m.title + "\n" + m.address;
    else if (m.type === "template") {
      const t = m.template || {};
      bubble.appendChild(textDiv(m.altText, "alt"));
      if (t.title) bubble.appendChild(textDiv(t.title));
      if (t.text) bubble.appendChild(textDiv(t.text));
      (t.columns || []).forEach((c) => bubble.appendChild(textDiv([c.title, c.text].filter(Boolean).join("\n"))));
      // Buttons/confirm templates list actions; carousel columns carry their own.
      const actions = [...(t.actions || [])];
      (t.columns || []).forEach((c) => actions.push(...(c.actions || []), ...(c.action ? [c.action] : [])));
      withActions(bubble, actions);
    } else if (m.type === "flex") {
      bubble.appendChild(textDiv(m.altText, "alt"));
      withActions(bubble, collectActions(m.contents, []));
    } else if (m.type === "imagemap") bubble.appendChild(textDiv(m.altText, "alt"));
    else bubble.textContent = "[" + m.type + "] " + (m.originalContentUrl || "");
  }

  function fillUserBubble(bubble, m) {
    if (m.type === "text") bubble.textContent = m.text;
    else if (m.type === "image") bubble.appendChild(image(m.contentUrl));
    else if (m.type === "sticker") bubble.textContent = "[スタンプ " + m.packageId + "/" + m.stickerId + "]";
    else if (m.type === "location") {
      bubble.textContent = "📍 " + (m.title || "位置情報") + "\n" + m.latitude + ", " + m.longitude;
    } else if (m.type === "postback") bubble.textContent = m.displayText;
  }

  function note(text) {
    const div = document.createElement("div");
    div.className = "note";
    const span = document.createElement("span");
    span.textContent = text;
    div.appendChild(span);
    return div;
  }

  function render(entry) {
    const m = entry.message;
    if (entry.from === "user") {
      if (m.type === "follow") return note("友だち追加しました");
      if (m.type === "unfollow") return note("ブロックしました");
      // A postback without displayText is invisible in LINE; show a small note instead.
      if (m.type === "postback" && !m.displayText) return note("ポストバック: " + m.data);
    }
    const line = document.createElement("div");
    line.className = "line " + entry.from;
    const bubble = document.createElement("div");
    bubble.className = "bubble";
    if (entry.from === "bot") fillBotBubble(bubble, m);
    else fillUserBubble(bubble, m);
    line.appendChild(bubble);
    return line;
  }

  // ---- wiring ----------------------------------------------------------------------------

  $("composer").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = $("text").value;
    if (!text.trim()) return;
    $("text").value = "";
    say({ text });
  });
  $("location-form").addEventListener("submit", (e) => {
    e.preventDefault();
    sendLocation($("loc-title").value.trim());
  });
  $("image").addEventListener("change", () => {
    const file = $("image").files[0];
    if (!file) return;
    const reader = new FileReader();
    reader.onload = () => {
      const base64 = String(reader.result).split(",", 2)[1] || "";
      say({ type: "image", image_base64: base64, content_type: file.type || "image/jpeg" });
      $("image").value = "";
    };
    reader.readAsDataURL(file);
  });
  $("follow").addEventListener("click", () => say({ type: "follow" }));
  $("unfollow").addEventListener("click", () => say({ type: "unfollow" }));
  $("new-user").addEventListener("click", () => switchUser(newUserId()));
  $("user-id").addEventListener("change", () => switchUser(userId()));

  switchUser(localStorage.getItem("emulator.userId") || newUserId());
  setInterval(poll, 1000);
  poll();
  $("rich-menu-toggle").addEventListener("click", () => { $("rich-menu-panel").hidden = !$("rich-menu-panel").hidden; });
  setInterval(loadRichMenu, 3000);
  loadRichMenu();
})();
