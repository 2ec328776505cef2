/*
 * Madoguchi web chat widget: one script tag on the city homepage, no build step, no framework.
 *
 *   <script src="https://<madoguchi host>/static/widget/madoguchi-widget.js"
 *           data-madoguchi-url="https://<madoguchi host>" data-title="みなと市 AIチャットボット" defer></script>
 *
 * Everything lives in a shadow root, so the host page's CSS cannot reach in and ours cannot leak out.
 * The widget has no wording of its own: it fetches it from GET /api/chat/config (bot/webchat_texts.py),
 * and it stays hidden when Madoguchi cannot be reached rather than showing a button that does not work.
 * Text is always set with textContent, never as HTML: answers and staff replies cannot inject markup.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.madoguchiWidget) {
    return; // embedded twice: the first one wins
  }
  var BASE = (script.getAttribute("data-madoguchi-url") || new URL(script.src, location.href).origin).replace(/\/+$/, "");
  var CUSTOM_TITLE = script.getAttribute("data-title");
  var SESSION_KEY = "madoguchi:session-id";
  var TRANSCRIPT_KEY = "madoguchi:transcript";
  var TRANSCRIPT_LIMIT = 60;
  var URL_PATTERN = /(https?:\/\/[^\s<>"'）」]+)/g;

  var t = {};          // wording from the server
  var limits = {};
  var ui = {};         // the widget's elements
  var busy = false;
  var memorySessionId = null; // when localStorage is unavailable (private browsing, blocked storage)

  window.madoguchiWidget = { open: function () { open(); }, close: function () { close(); } };

  // --- storage --------------------------------------------------------------------------------------

  function sessionId() {
    try {
      return localStorage.getItem(SESSION_KEY) || memorySessionId;
    } catch (e) {
      return memorySessionId;
    }
  }

  function rememberSession(id) {
    if (!id) { return; }
    memorySessionId = id;
    try { localStorage.setItem(SESSION_KEY, id); } catch (e) { /* kept in memory only */ }
  }

  // The transcript survives moving between the homepage's pages, and ends with the tab (sessionStorage).
  function loadTranscript() {
    try {
      return JSON.parse(sessionStorage.getItem(TRANSCRIPT_KEY) || "[]");
    } catch (e) {
      return [];
    }
  }

  function saveBubble(role, text) {
    try {
      var entries = loadTranscript();
      entries.push({ role: role, text: text });
      sessionStorage.setItem(TRANSCRIPT_KEY, JSON.stringify(entries.slice(-TRANSCRIPT_LIMIT)));
    } catch (e) { /* not remembered */ }
  }

  // --- the API ----------------------------------------------------------------------------------------

  function call(method, path, body) {
    var options = { method: method, credentials: "omit", headers: {} };
    if (body) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(BASE + path, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (data && data.session_id) { rememberSession(data.session_id); }
        if (!response.ok) {
          var error = new Error(data && data.message ? data.message : t.network_error);
          error.status = response.status;
          throw error;
        }
        return data;
      });
    }, function () {
      throw new Error(t.network_error);
    });
  }

  // --- building blocks ------------------------------------------------------------------------------

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (key === "text") { node.textContent = value; }
      else if (key.indexOf("on") === 0) { node.addEventListener(key.slice(2), value); }
      else if (value === true) { node.setAttribute(key, ""); }
      else if (value !== false && value != null) { node.setAttribute(key, value); }
    });
    (children || []).forEach(function (child) { if (child) { node.append(child); } });
    return node;
  }

  // Text with its URLs as links: built from text nodes and <a> elements, never from HTML.
  function richText(text) {
    var fragment = document.createDocumentFragment();
    String(text).split(URL_PATTERN).forEach(function (part, index) {
      if (index % 2 === 1) {
        fragment.append(el("a", { href: part, target: "_blank", rel: "noopener noreferrer", text: part }));
      } else if (part) {
        fragment.append(document.createTextNode(part));
      }
    });
    return fragment;
  }

  function scrollToEnd() {
    ui.log.scrollTop = ui.log.scrollHeight;
  }

  function speakerLabel(role) {
    return role === "user" ? t.you : role === "staff" ? t.staff : t.bot;
  }

  function addBubble(role, text, options) {
    var row = el("div", { class: "mg-row mg-row--" + role }, [
      role === "user" ? null : el("div", { class: "mg-avatar", "aria-hidden": "true", text: role === "staff" ? t.staff_avatar : t.bot_avatar }),
      el("div", { class: "mg-bubble" + (options && options.error ? " mg-bubble--error" : "") }, [
        el("span", { class: "mg-sr", text: speakerLabel(role) + "：" }),
        richText(text),
      ]),
    ]);
    ui.log.append(row);
    if (!(options && options.transient)) { saveBubble(role, text); }
    scrollToEnd();
    return row;
  }

  function addBlock(node) {
    ui.log.append(el("div", { class: "mg-row mg-row--actions" }, [node]));
    scrollToEnd();
    return node;
  }

  function showTyping() {
    var row = el("div", { class: "mg-row mg-row--bot mg-typing", role: "status" }, [
      el("div", { class: "mg-avatar", "aria-hidden": "true", text: t.bot_avatar }),
      el("div", { class: "mg-bubble" }, [
        el("span", { class: "mg-sr", text: t.sending }),
        el("span", { class: "mg-dot", "aria-hidden": "true" }),
        el("span", { class: "mg-dot", "aria-hidden": "true" }),
        el("span", { class: "mg-dot", "aria-hidden": "true" }),
      ]),
    ]);
    ui.log.append(row);
    scrollToEnd();
    return row;
  }

  // Run one request with the typing indicator and the send button locked; errors become a bubble.
  function exchange(request, onDone) {
    busy = true;
    ui.send.disabled = true;
    var typing = showTyping();
    return request().then(function (data) {
      typing.remove();
      onDone(data);
    }, function (error) {
      typing.remove();
      addBubble("bot", error.message || t.network_error, { error: true, transient: true });
    }).then(function () {
      busy = false;
      ui.send.disabled = false;
      // A tapped button is now disabled and has dropped the focus: keyboard users continue in the input.
      var focused = ui.root.activeElement;
      if (!ui.panel.hidden && (!focused || focused.disabled)) { ui.input.focus(); }
    });
  }

  // --- conversation ---------------------------------------------------------------------------------

  function ask(text) {
    addBubble("user", text);
    exchange(function () {
      return call("POST", "/api/chat", { session_id: sessionId(), text: text });
    }, function (data) { showReply(data, text); });
  }

  function showReply(data, askedText) {
    (data.messages || []).forEach(function (message) { addBubble("bot", message); });
    if (data.candidates && data.candidates.length) {
      addCandidates(data.question_id, data.candidates);
    }
    (data.actions || []).forEach(function (action, index, all) {
      if (action.type === "feedback" && index === 0) {
        addFeedback(data.question_id, all.filter(function (a) { return a.type === "feedback"; }));
      } else if (action.type === "inquiry") {
        addInquiryButton(action.label, data.question_id, askedText);
      }
    });
  }

  function lockGroup(group, chosen) {
    group.querySelectorAll("button").forEach(function (button) {
      button.disabled = true;
      if (button === chosen) { button.setAttribute("aria-pressed", "true"); }
    });
  }

  function addCandidates(questionId, candidates) {
    var group = el("div", { class: "mg-choices", role: "group", "aria-label": t.candidates_label });
    candidates.forEach(function (candidate) {
      group.append(el("button", {
        type: "button", class: "mg-choice", text: candidate.question,
        onclick: function (event) {
          if (busy) { return; }
          lockGroup(group, event.currentTarget);
          addBubble("user", candidate.question);
          exchange(function () {
            return call("POST", "/api/chat/choose",
              { session_id: sessionId(), question_id: questionId, faq_id: candidate.faq_id });
          }, function (data) { showReply(data, candidate.question); });
        },
      }));
    });
    addBlock(group);
  }

  function addFeedback(questionId, actions) {
    var group = el("div", { class: "mg-feedback", role: "group", "aria-label": t.feedback_label }, [
      el("span", { class: "mg-feedback-label", "aria-hidden": "true", text: t.feedback_label }),
    ]);
    actions.forEach(function (action) {
      group.append(el("button", {
        type: "button", class: "mg-chip" + (action.helpful ? " mg-chip--good" : ""), text: action.label,
        onclick: function (event) {
          if (busy) { return; }
          lockGroup(group, event.currentTarget);
          exchange(function () {
            return call("POST", "/api/chat/feedback",
              { session_id: sessionId(), question_id: questionId, helpful: action.helpful });
          }, function (data) {
            (data.messages || []).forEach(function (message) { addBubble("bot", message); });
          });
        },
      }));
    });
    addBlock(group);
  }

  function addInquiryButton(label, questionId, askedText) {
    var button = el("button", {
      type: "button", class: "mg-chip mg-chip--inquire", text: label,
      onclick: function () {
        button.disabled = true;
        showInquiryForm(questionId, askedText);
      },
    });
    addBlock(button);
  }

  function showInquiryForm(questionId, askedText) {
    var fieldId = "mg-inquiry-" + Date.now();
    var textarea = el("textarea", { id: fieldId, class: "mg-textarea", rows: "4", maxlength: String(limits.inquiry || 2000), required: true });
    textarea.value = askedText || "";
    var sendButton = el("button", { type: "submit", class: "mg-chip mg-chip--primary", text: t.inquiry_send });
    var form = el("form", { class: "mg-inquiry", "aria-label": t.inquire }, [
      el("label", { for: fieldId, class: "mg-inquiry-label", text: t.inquiry_label }),
      textarea,
      el("p", { class: "mg-note", text: t.inquiry_note }),
      el("div", { class: "mg-inquiry-buttons" }, [
        el("button", { type: "button", class: "mg-chip", text: t.inquiry_cancel, onclick: function () { form.parentNode.remove(); ui.input.focus(); } }),
        sendButton,
      ]),
    ]);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = textarea.value.trim();
      if (!text || busy) { return; }
      sendButton.disabled = true;
      exchange(function () {
        return call("POST", "/api/chat/inquiry", { session_id: sessionId(), text: text, question_id: questionId || undefined });
      }, function (data) {
        form.parentNode.remove();
        addBubble("user", text);
        addBubble("bot", data.message);
        addReceipt(data.receipt_number);
      }).then(function () { sendButton.disabled = false; });
    });
    addBlock(form);
    textarea.focus();
  }

  function addReceipt(number) {
    addBlock(el("p", { class: "mg-receipt" }, [
      el("span", { class: "mg-receipt-label", text: t.receipt }),
      el("strong", { class: "mg-receipt-number", text: number }),
    ]));
    saveBubble("bot", t.receipt + "：" + number);
  }

  function showStatus() {
    if (busy) { return; }
    exchange(function () {
      return call("GET", "/api/chat/inquiry?session_id=" + encodeURIComponent(sessionId() || ""));
    }, function (data) {
      addBubble("bot", data.message, { transient: true });
      ((data.inquiry && data.inquiry.messages) || []).forEach(function (message) {
        addBubble(message.author === "staff" ? "staff" : "user", message.text, { transient: true });
      });
    });
  }

  // --- panel ----------------------------------------------------------------------------------------

  function open() {
    if (!ui.panel) { return; }
    ui.panel.hidden = false;
    ui.launcher.setAttribute("aria-expanded", "true");
    ui.launcher.hidden = true;
    if (!ui.log.childNodes.length) {
      var saved = loadTranscript();
      if (saved.length) {
        saved.forEach(function (entry) { addBubble(entry.role, entry.text, { transient: true }); });
      } else {
        addBubble("bot", t.greeting);
      }
    }
    scrollToEnd();
    ui.input.focus();
  }

  function close() {
    if (!ui.panel) { return; }
    ui.panel.hidden = true;
    ui.launcher.hidden = false;
    ui.launcher.setAttribute("aria-expanded", "false");
    ui.launcher.focus();
  }

  function chatIcon() {
    var svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("class", "mg-icon");
    var path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    path.setAttribute("d", "M12 3C6.5 3 2 6.6 2 11c0 2.5 1.4 4.7 3.7 6.2L5 21l4.3-2.4c.9.2 1.8.3 2.7.3 5.5 0 10-3.6 10-8S17.5 3 12 3z");
    svg.append(path);
    return svg;
  }

  function build(config) {
    t = Object.assign({}, config.texts, { greeting: config.greeting });
    limits = config.limits || {};
    var title = CUSTOM_TITLE || t.title;

    var host = el("div", { id: "madoguchi-widget", "data-madoguchi-widget": "" });
    host.style.display = "none"; // until our stylesheet has loaded: no flash of unstyled widget
    var root = ui.root = host.attachShadow({ mode: "open" });
    var stylesheet = el("link", { rel: "stylesheet", href: BASE + "/static/widget/madoguchi-widget.css" });
    var reveal = function () { host.style.display = ""; };
    stylesheet.addEventListener("load", reveal);
    stylesheet.addEventListener("error", reveal);

    ui.launcher = el("button", {
      type: "button", class: "mg-launcher", "aria-label": t.open, "aria-expanded": "false",
      "aria-controls": "mg-panel", onclick: open,
    }, [chatIcon(), el("span", { class: "mg-launcher-text", "aria-hidden": "true", text: t.launcher })]);

    ui.log = el("div", { class: "mg-log", role: "log", "aria-live": "polite", "aria-label": title, tabindex: "0" });
    ui.input = el("input", {
      id: "mg-input", class: "mg-input", type: "text", autocomplete: "off", enterkeyhint: "send",
      maxlength: String(limits.question || 500), placeholder: t.placeholder,
    });
    ui.send = el("button", { type: "submit", class: "mg-send", text: t.send });
    var form = el("form", { class: "mg-form" }, [
      el("label", { for: "mg-input", class: "mg-sr", text: t.input_label }), ui.input, ui.send,
    ]);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = ui.input.value.trim();
      if (!text || busy) { return; }
      if (limits.question && text.length > limits.question) {
        addBubble("bot", t.too_long.replace("{limit}", limits.question), { error: true, transient: true });
        return;
      }
      ui.input.value = "";
      ask(text);
    });

    ui.panel = el("section", { id: "mg-panel", class: "mg-panel", role: "dialog", "aria-labelledby": "mg-title", hidden: true }, [
      el("header", { class: "mg-header" }, [
        el("h2", { id: "mg-title", class: "mg-title", text: title }),
        el("button", { type: "button", class: "mg-status", text: t.status, onclick: showStatus }),
        el("button", { type: "button", class: "mg-close", "aria-label": t.close, text: "×", onclick: close }),
      ]),
      ui.log,
      form,
      el("p", { class: "mg-disclaimer", text: t.disclaimer }),
    ]);
    ui.panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { close(); }
    });

    root.append(stylesheet, el("div", { class: "mg-root", lang: "ja" }, [ui.launcher, ui.panel]));
    document.body.append(host);
  }

  function start() {
    fetch(BASE + "/api/chat/config", { credentials: "omit" })
      .then(function (response) {
        if (!response.ok) { throw new Error("config " + response.status); }
        return response.json();
      })
      .then(build)
      .catch(function () { /* Madoguchi unreachable: show nothing rather than a broken button */ });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
