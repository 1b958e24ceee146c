/*!
 * FAQ bot chat widget. Plain JavaScript, no build step, no dependencies.
 *
 * Embed it with one tag (every data- attribute is optional):
 *
 *   <script src="https://help.example.com/widget.js"
 *           data-bot-url="https://help.example.com"   (default: the origin this file came from)
 *           data-title="Contoso Assistant"
 *           data-greeting="Hi! Ask me anything about our product."
 *           data-color="#0f62c4"
 *           data-position="right"                      (or "left")
 *           data-placeholder="Type your question…"
 *           data-lang="de"                             (default: the page's <html lang>, else English)
 *           data-theme="auto"                          (or "light" / "dark"; auto follows the visitor's system)
 *           defer></script>
 *
 * The widget lives in an open shadow root (styles do not leak either way),
 * keeps the conversation and its conversation_id in sessionStorage (it survives
 * reloads in the same tab), and inserts questions and FAQ text with DOM APIs and
 * textContent only: never as HTML. It also exposes
 * window.faqbot = {open, close, toggle, ask, reset}.
 *
 * Languages: every string the widget shows comes from STRINGS below (English and
 * German ship). To add one, either add an entry to STRINGS keyed by its language
 * code, or define it on the host page before this script, without editing it:
 *
 *   <script>window.faqbotStrings = { fr: { openChat: "Ouvrir le chat d'aide", sendQuestion: "Envoyer la question", ... } };</script>
 *
 * The keys are those of STRINGS.en; a key left out falls back to English. data-lang picks the
 * language (else <html lang>; "fr-CA" finds "fr"). Keep the word "chat" in openChat and closeChat:
 * tools find the launcher by it.
 */
(function () {
  "use strict";

  if (window.faqbot) return; // embedded twice: the first one wins

  // ------------------------------------------------------------------ UI strings, one catalog per language

  var STRINGS = {
    en: {
      title: "Help",
      subtitle: "Answers from our FAQ, with sources",
      greeting: "Hi! Ask me a question about our FAQ.",
      placeholder: "Type your question…",
      openChat: "Open help chat",
      closeChat: "Close help chat",
      closePanel: "Close chat",
      close: "Close",
      newConversation: "New conversation",
      startNewConversation: "Start a new conversation",
      conversation: "Conversation",
      yourQuestion: "Your question",
      sendQuestion: "Send question",
      footnote: "Enter to send · Shift+Enter for a new line",
      typing: "The assistant is typing…",
      workedOut: "How this was worked out",
      source: "Source",
      sources: "Sources",
      related: "Related questions",
      askInstead: "You could ask instead",
      wasItHelpful: "Was this helpful?",
      helpful: "Helpful",
      notHelpful: "Not helpful",
      sending: "Sending…",
      feedbackRecorded: "Thanks, your feedback was recorded.",
      feedbackFailed: "Your feedback could not be sent. Please try again.",
      whatWasWrong: "What was wrong? (optional)",
      reasonWrong: "Wrong answer",
      reasonOutdated: "Outdated",
      reasonNotAsked: "Not what I asked",
      commentLabel: "Tell us more (optional)",
      sendComment: "Send",
      commentThanks: "Thanks, that helps us improve the answers.",
      contactSupport: "Contact support",
      tryAgain: "Try again",
      questionRefused: "Sorry, I couldn't take that question: {detail}",
      startingUp: "The assistant is starting up. Please try again in a few seconds.",
      serverError: "Something went wrong on our side. Please try again in a moment.",
      unreachable: "I can't reach the help service right now. Please check your connection and try again.",
      genericError: "Something went wrong. Please try again.",
    },
    de: {
      title: "Hilfe",
      subtitle: "Antworten aus unseren FAQ, mit Quellen",
      greeting: "Hallo! Stellen Sie mir eine Frage zu unseren FAQ.",
      placeholder: "Ihre Frage…",
      openChat: "Hilfe-Chat öffnen",
      closeChat: "Hilfe-Chat schließen",
      closePanel: "Chat schließen",
      close: "Schließen",
      newConversation: "Neues Gespräch",
      startNewConversation: "Ein neues Gespräch beginnen",
      conversation: "Gespräch",
      yourQuestion: "Ihre Frage",
      sendQuestion: "Frage senden",
      footnote: "Eingabetaste zum Senden · Umschalt+Eingabe für eine neue Zeile",
      typing: "Der Assistent schreibt…",
      workedOut: "So wurde gerechnet",
      source: "Quelle",
      sources: "Quellen",
      related: "Ähnliche Fragen",
      askInstead: "Sie könnten stattdessen fragen",
      wasItHelpful: "War das hilfreich?",
      helpful: "Hilfreich",
      notHelpful: "Nicht hilfreich",
      sending: "Wird gesendet…",
      feedbackRecorded: "Danke, Ihre Rückmeldung wurde gespeichert.",
      feedbackFailed: "Ihre Rückmeldung konnte nicht gesendet werden. Bitte versuchen Sie es erneut.",
      whatWasWrong: "Was war falsch? (optional)",
      reasonWrong: "Falsche Antwort",
      reasonOutdated: "Veraltet",
      reasonNotAsked: "Nicht meine Frage",
      commentLabel: "Erzählen Sie uns mehr (optional)",
      sendComment: "Senden",
      commentThanks: "Danke, das hilft uns, die Antworten zu verbessern.",
      contactSupport: "Support kontaktieren",
      tryAgain: "Erneut versuchen",
      questionRefused: "Diese Frage konnte ich leider nicht annehmen: {detail}",
      startingUp: "Der Assistent startet gerade. Bitte versuchen Sie es in ein paar Sekunden erneut.",
      serverError: "Bei uns ist etwas schiefgegangen. Bitte versuchen Sie es gleich noch einmal.",
      unreachable: "Der Hilfedienst ist gerade nicht erreichbar. Bitte prüfen Sie Ihre Verbindung und versuchen Sie es erneut.",
      genericError: "Etwas ist schiefgegangen. Bitte versuchen Sie es erneut.",
    },
  };

  var script = document.currentScript;
  var data = (script && script.dataset) || {};
  var SCRIPT_ORIGIN = script && script.src ? new URL(script.src, location.href).origin : location.origin;
  var BOT_URL = httpUrl(data.botUrl) || SCRIPT_ORIGIN;
  var LANG = pickLanguage([data.lang, document.documentElement.lang]);
  var T = catalog(LANG);
  var THEME = data.theme === "light" || data.theme === "dark" ? data.theme : "auto";
  var TITLE = data.title || T.title;
  var GREETING = data.greeting || T.greeting;
  var PLACEHOLDER = data.placeholder || T.placeholder;
  var POSITION = data.position === "left" ? "left" : "right";
  var COLOR = data.color && window.CSS && CSS.supports("color", data.color) ? data.color : "";

  var MAX_CHARS = 1000;
  var MAX_COMMENT_CHARS = 500;
  var MAX_MESSAGES = 60;
  var TIMEOUT_MS = 30000;
  var STORAGE_KEY = "faqbot:v1:" + BOT_URL;
  var SVG_NS = "http://www.w3.org/2000/svg";
  var ICONS = {
    chat: "M4 5.5A2.5 2.5 0 0 1 6.5 3h11A2.5 2.5 0 0 1 20 5.5v8a2.5 2.5 0 0 1-2.5 2.5H10l-4.2 3.6c-.5.4-1.3.1-1.3-.6V16A2.5 2.5 0 0 1 4 13.5z",
    close: "M6 6l12 12M18 6L6 18",
    send: "M4 12l16-8-6 16-2.5-6.5z",
    thumbUp: "M7 10v10H4V10zM7 10l4-7c1.7 0 2.6 1.2 2.3 2.8L12.8 9H18a2 2 0 0 1 2 2.3l-1.2 7A2 2 0 0 1 16.8 20H7",
    thumbDown: "M7 14V4H4v10zM7 14l4 7c1.7 0 2.6-1.2 2.3-2.8L12.8 15H18a2 2 0 0 0 2-2.3l-1.2-7A2 2 0 0 0 16.8 4H7",
    reset: "M4 12a8 8 0 1 0 2.4-5.7M4 4v4h4",
    doc: "M7 3h7l5 5v13H7zM14 3v5h5M10 13h6M10 17h6",
  };

  // The catalogs the host page added (window.faqbotStrings), then the shipped ones.
  function catalogs() {
    var added = window.faqbotStrings && typeof window.faqbotStrings === "object" ? window.faqbotStrings : {};
    return [added, STRINGS];
  }

  // The first candidate ("de-AT", "de", ...) with a catalog, by full tag and then by its primary
  // language; English when none has one.
  function pickLanguage(candidates) {
    var sources = catalogs();
    for (var i = 0; i < candidates.length; i++) {
      var tag = String(candidates[i] || "").trim().toLowerCase().replace(/_/g, "-");
      if (!tag) continue;
      var options = [tag, tag.split("-")[0]];
      for (var j = 0; j < options.length; j++) {
        for (var k = 0; k < sources.length; k++) {
          if (Object.prototype.hasOwnProperty.call(sources[k], options[j])) return options[j];
        }
      }
    }
    return "en";
  }

  // English underneath, then the shipped catalog of `lang`, then the host page's: a missing key shows English.
  function catalog(lang) {
    var strings = {};
    [STRINGS.en, STRINGS[lang], catalogs()[0][lang]].forEach(function (source) {
      if (!source || typeof source !== "object") return;
      Object.keys(STRINGS.en).forEach(function (key) {
        if (typeof source[key] === "string") strings[key] = source[key];
      });
    });
    return strings;
  }

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }

  // ------------------------------------------------------------------ state

  var state = loadState();
  var busy = false;
  var conversationsStarted = 0; // "new conversation" clicks: an answer still on its way belongs to the old one

  function loadState() {
    try {
      var saved = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || "null");
      if (saved && Array.isArray(saved.messages)) {
        var conversationId = typeof saved.conversationId === "string" ? saved.conversationId : null;
        return { open: !!saved.open, messages: saved.messages, conversationId: conversationId };
      }
    } catch (e) {
      /* storage disabled or corrupt: start afresh */
    }
    return { open: false, messages: [], conversationId: null };
  }

  function saveState() {
    state.messages = state.messages.slice(-MAX_MESSAGES);
    try {
      sessionStorage.setItem(STORAGE_KEY, JSON.stringify(state));
    } catch (e) {
      /* storage full or disabled: the conversation just won't survive a reload */
    }
  }

  function newId() {
    return Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
  }

  // ------------------------------------------------------------------ DOM helpers

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (name) {
        var value = attrs[name];
        if (value === null || value === undefined || value === false) return;
        if (name === "text") node.textContent = value;
        else node.setAttribute(name, value === true ? "" : String(value));
      });
    }
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function icon(name, className) {
    var svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    if (className) svg.setAttribute("class", className);
    var path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", ICONS[name]);
    svg.appendChild(path);
    return svg;
  }

  function httpUrl(value) {
    if (!value) return "";
    try {
      var url = new URL(value, location.href);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href.replace(/\/+$/, "") : "";
    } catch (e) {
      return "";
    }
  }

  // Where a link in FAQ text goes: an absolute http(s) URL as it is; a relative one resolved
  // against the cited document's public URL (`base`), or "" (shown as plain text) when there is
  // none. Docs sites publish "other-page.md" as "other-page": when the document's own URL has
  // no ".md", neither does the link.
  function linkTarget(target, base) {
    if (/^https?:\/\//i.test(target)) return httpUrl(target) ? target : "";
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || !base) return "";
    try {
      var baseUrl = new URL(base);
      var url = new URL(target, baseUrl);
      if (url.protocol !== "http:" && url.protocol !== "https:") return "";
      if (!/\.md$/i.test(baseUrl.pathname)) url.pathname = url.pathname.replace(/\.md$/i, "");
      return url.href;
    } catch (e) {
      return "";
    }
  }

  // A handoff from the server ({url, label}) when it is a link a visitor can follow, else null.
  function validHandoff(handoff) {
    if (!handoff || typeof handoff !== "object" || typeof handoff.url !== "string") return null;
    var url = /^mailto:/i.test(handoff.url) || (/^https?:\/\//i.test(handoff.url) && httpUrl(handoff.url)) ? handoff.url : "";
    if (!url) return null;
    var label = typeof handoff.label === "string" && handoff.label.trim() ? handoff.label.trim() : "";
    return { url: url, label: label };
  }

  // ------------------------------------------------------------------ a tiny, safe markdown subset
  // Paragraphs, "-" and numbered lists, **bold**, *italic*, `code`, [links](http(s), or relative to
  // the cited document) and images (their alt text only). Every piece of text becomes a text node;
  // nothing is parsed as HTML.

  var ENTITIES = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'", "&nbsp;": "\u00a0" };
  var INLINE = /\*\*([^*]+?)\*\*|(!?)\[([^\]]+)\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)|`([^`]+)`|\*([^*\s][^*]*?)\*/g;

  function appendInline(parent, text, base) {
    text = text.replace(/&(?:amp|lt|gt|quot|#39|nbsp);/g, function (m) {
      return ENTITIES[m];
    });
    var last = 0;
    var match;
    INLINE.lastIndex = 0;
    var pieces = [];
    while ((match = INLINE.exec(text)) !== null) {
      pieces.push({ start: match.index, end: INLINE.lastIndex, m: match.slice() });
    }
    pieces.forEach(function (piece) {
      if (piece.start > last) parent.appendChild(document.createTextNode(text.slice(last, piece.start)));
      var m = piece.m;
      if (m[1] !== undefined) {
        var strong = el("strong");
        appendInline(strong, m[1], base);
        parent.appendChild(strong);
      } else if (m[3] !== undefined) {
        var href = m[2] ? "" : linkTarget(m[4], base); // an image shows its alt text, and loads nothing
        if (href) {
          parent.appendChild(el("a", { href: href, target: "_blank", rel: "noopener noreferrer", text: m[3] }));
        } else {
          parent.appendChild(document.createTextNode(m[3]));
        }
      } else if (m[5] !== undefined) {
        parent.appendChild(el("code", { text: m[5] }));
      } else {
        parent.appendChild(el("em", { text: m[6] }));
      }
      last = piece.end;
    });
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function renderMarkdown(text, base) {
    var out = document.createDocumentFragment();
    var paragraph = [];
    var list = null;
    var listTag = "";

    function flushParagraph() {
      if (!paragraph.length) return;
      var p = el("p");
      appendInline(p, paragraph.join(" "), base);
      out.appendChild(p);
      paragraph = [];
    }
    function flushList() {
      if (list) out.appendChild(list);
      list = null;
      listTag = "";
    }
    function addItem(tag, body) {
      flushParagraph();
      if (!list || listTag !== tag) {
        flushList();
        list = el(tag);
        listTag = tag;
      }
      var li = el("li");
      appendInline(li, body, base);
      list.appendChild(li);
    }

    String(text || "")
      .replace(/\r\n?/g, "\n")
      .split("\n")
      .forEach(function (raw) {
        var line = raw.replace(/^\s*(?:>\s?)+/, "").trim();
        line = line.replace(/^\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\]\s*/i, function (_, kind) {
          return "**" + kind.charAt(0).toUpperCase() + kind.slice(1).toLowerCase() + ":** ";
        });
        var m;
        if (!line) {
          flushParagraph();
          flushList();
        } else if ((m = /^[-*+]\s+(.*)$/.exec(line))) {
          addItem("ul", m[1]);
        } else if ((m = /^\d{1,3}[.)]\s+(.*)$/.exec(line))) {
          addItem("ol", m[1]);
        } else if ((m = /^#{1,6}\s+(.*)$/.exec(line))) {
          flushParagraph();
          flushList();
          var heading = el("p", { class: "md-heading" });
          appendInline(heading, m[1], base);
          out.appendChild(heading);
        } else if (list && /^\s{2,}/.test(raw)) {
          appendInline(list.lastChild, " " + line, base); // an indented line continues the item
        } else {
          flushList();
          paragraph.push(line);
        }
      });
    flushParagraph();
    flushList();
    return out;
  }

  // A no-answer lists its suggestions in the text too; they are shown as chips instead.
  function withoutSuggestions(text, related) {
    var questions = {};
    related.forEach(function (item) {
      questions[item.question] = true;
    });
    var lines = String(text).split("\n");
    var kept = [];
    var removed = false;
    lines.forEach(function (line) {
      var m = /^\s*[-*]\s+(.*)$/.exec(line);
      if (m && questions[m[1].trim()]) {
        removed = true;
        return;
      }
      kept.push(line);
    });
    if (removed) {
      while (kept.length && !kept[kept.length - 1].trim()) kept.pop();
      if (kept.length && /:\s*$/.test(kept[kept.length - 1])) kept.pop();
    }
    return kept.join("\n").trim();
  }

  function faqLink(citation) {
    // passage_id is "<document>#<anchor>": the document's page on the bot, at the question.
    var id = String(citation.passage_id || "");
    var anchor = String(citation.anchor || "");
    var doc = id.slice(-(anchor.length + 1)) === "#" + anchor ? id.slice(0, id.length - anchor.length - 1) : id.split("#")[0];
    var path = doc.split("/").map(encodeURIComponent).join("/");
    return BOT_URL + "/faq/" + path + "#" + anchor;
  }

  // ------------------------------------------------------------------ building the widget

  var host = el("div", { "data-faqbot": "", class: "faqbot-host" });
  host.style.setProperty("visibility", "hidden"); // until its stylesheet has loaded
  if (COLOR) host.style.setProperty("--faqbot-accent", COLOR);
  var root = host.attachShadow({ mode: "open" });
  var stylesheet = el("link", { rel: "stylesheet", href: BOT_URL + "/widget.css" });
  function reveal() {
    host.style.removeProperty("visibility");
  }
  stylesheet.addEventListener("load", reveal);
  stylesheet.addEventListener("error", reveal);

  var launcher = el(
    "button",
    {
      type: "button",
      class: "launcher",
      "data-faqbot-launcher": "",
      "aria-label": T.openChat,
      "aria-expanded": "false",
      "aria-controls": "faqbot-panel",
    },
    [icon("chat", "icon-chat"), icon("close", "icon-close")]
  );

  var titleId = "faqbot-title";
  var resetButton = el("button", { type: "button", class: "header-button", "aria-label": T.startNewConversation, title: T.newConversation }, [icon("reset")]);
  var closeButton = el("button", { type: "button", class: "header-button", "aria-label": T.closePanel, title: T.close }, [icon("close")]);
  var header = el("div", { class: "header" }, [
    el("div", { class: "avatar", "aria-hidden": "true" }, [icon("chat")]),
    el("div", { class: "heading" }, [
      el("h2", { id: titleId, text: TITLE }),
      el("p", { class: "subtitle", text: T.subtitle }),
    ]),
    resetButton,
    closeButton,
  ]);
  var log = el("div", { class: "log", role: "log", "aria-live": "polite", "aria-relevant": "additions", "aria-label": T.conversation, tabindex: "-1" });
  var textarea = el("textarea", {
    rows: "1",
    maxlength: String(MAX_CHARS),
    placeholder: PLACEHOLDER,
    "aria-label": T.yourQuestion,
    enterkeyhint: "send",
  });
  var sendButton = el("button", { type: "submit", class: "send", "aria-label": T.sendQuestion }, [icon("send")]);
  var form = el("form", { class: "composer" }, [textarea, sendButton]);
  var footnote = el("p", { class: "footnote", text: T.footnote });
  var panel = el(
    "div",
    { class: "panel", id: "faqbot-panel", role: "dialog", "aria-modal": "true", "aria-labelledby": titleId, hidden: true },
    [header, log, form, footnote]
  );
  var container = el("div", { class: "faqbot pos-" + POSITION, lang: LANG }, [launcher, panel]);
  // One dark palette in the stylesheet (.theme-dark); "auto" follows the visitor's setting, live.
  var darkScheme = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
  function applyTheme() {
    var dark = THEME === "dark" || (THEME === "auto" && !!darkScheme && darkScheme.matches);
    container.classList.toggle("theme-dark", dark);
    container.classList.toggle("theme-light", !dark);
  }
  applyTheme();
  if (THEME === "auto" && darkScheme && darkScheme.addEventListener) darkScheme.addEventListener("change", applyTheme);
  root.appendChild(stylesheet);
  root.appendChild(container);

  // ------------------------------------------------------------------ rendering messages

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  function greetingView() {
    var bubble = el("div", { class: "bubble" });
    bubble.appendChild(renderMarkdown(GREETING));
    return el("div", { class: "msg bot greeting" }, [bubble]);
  }

  function chips(items, label) {
    var list = el("div", { class: "chips", role: "group", "aria-label": label });
    items.forEach(function (item) {
      var chip = el("button", { type: "button", class: "chip", text: item.question });
      chip.addEventListener("click", function () {
        ask(item.question);
      });
      list.appendChild(chip);
    });
    return el("div", { class: "block" }, [el("p", { class: "label", text: label }), list]);
  }

  function citationView(citation) {
    var path = [citation.doc_title, citation.section].filter(Boolean).join(" › ");
    return el("a", { class: "citation", href: faqLink(citation), target: "_blank", rel: "noopener" }, [
      el("span", { class: "cite-path" }, [icon("doc", "cite-icon"), el("span", { text: path })]),
      el("span", { class: "cite-question", text: citation.question || citation.section || citation.doc_title }),
      citation.quote ? el("span", { class: "cite-quote", text: "“" + citation.quote + "”" }) : null,
    ]);
  }

  function handoffView(handoff) {
    return el("div", { class: "block handoff-block" }, [
      el("a", { class: "handoff", href: handoff.url, target: "_blank", rel: "noopener noreferrer", text: handoff.label || T.contactSupport }),
    ]);
  }

  // Thumbs up and down, one vote per answer: a new vote replaces the old one (so does the
  // server's). After a thumbs-down: one-click reasons and an optional comment, sent as the
  // vote's comment, and the way to a person when the server offers one.
  function feedbackView(message) {
    var status = el("span", { class: "feedback-status", role: "status" });
    var up = el("button", { type: "button", class: "thumb", "data-rating": "up", "aria-label": T.helpful, title: T.helpful }, [icon("thumbUp")]);
    var down = el("button", { type: "button", class: "thumb", "data-rating": "down", "aria-label": T.notHelpful, title: T.notHelpful }, [icon("thumbDown")]);
    var row = el("div", { class: "feedback" }, [el("span", { class: "feedback-label", text: T.wasItHelpful }), up, down, status]);
    var reasons = [T.reasonWrong, T.reasonOutdated, T.reasonNotAsked].map(function (reason) {
      var button = el("button", { type: "button", class: "chip reason", "aria-pressed": "false", text: reason });
      button.addEventListener("click", function () {
        message.reason = message.reason === reason ? null : reason;
        sendComment();
      });
      return button;
    });
    // A one-line <input>, and only while it is wanted: the question box stays the panel's one
    // <textarea> (the widget's DOM contract).
    var comment = el("input", { type: "text", class: "comment-text", maxlength: String(MAX_COMMENT_CHARS), enterkeyhint: "send" });
    comment.value = message.commentText || "";
    var commentSend = el("button", { type: "submit", class: "comment-send", text: T.sendComment });
    var commentForm = el("form", { class: "comment" }, [
      el("label", { class: "comment-label" }, [el("span", { text: T.commentLabel }), comment]),
      commentSend,
    ]);
    var more = el("div", { class: "feedback-more", role: "group", "aria-label": T.whatWasWrong }, [
      el("p", { class: "label", text: T.whatWasWrong }),
      el("div", { class: "chips" }, reasons),
    ]);
    var handoffSlot = el("div", { class: "feedback-handoff" });
    var view = el("div", { class: "feedback-area" }, [row, more, handoffSlot]);

    function show() {
      var rating = message.rating || null;
      up.setAttribute("aria-pressed", String(rating === "up"));
      down.setAttribute("aria-pressed", String(rating === "down"));
      row.classList.toggle("done", !!rating);
      more.hidden = rating !== "down";
      var wantComment = rating === "down" && !message.commentSent;
      if (wantComment && !commentForm.parentNode) more.appendChild(commentForm);
      if (!wantComment && commentForm.parentNode) commentForm.remove();
      reasons.forEach(function (button) {
        button.setAttribute("aria-pressed", String(button.textContent === message.reason));
      });
      while (handoffSlot.firstChild) handoffSlot.removeChild(handoffSlot.firstChild);
      var handoff = rating === "down" ? validHandoff(message.feedbackHandoff) : null;
      if (handoff) handoffSlot.appendChild(handoffView(handoff));
    }

    function setSending(value) {
      [up, down, commentSend].concat(reasons).forEach(function (button) {
        button.disabled = value;
      });
    }

    function post(rating, text, thanks, done) {
      setSending(true);
      status.textContent = T.sending;
      var body = { answer_id: message.answerId, rating: rating };
      if (text) body.comment = text;
      return request("/api/feedback", body)
        .then(function (payload) {
          message.rating = rating;
          message.feedbackHandoff = rating === "down" ? validHandoff(payload && payload.handoff) : null;
          if (rating !== "down") message.reason = message.commentText = null;
          if (rating !== "down") message.commentSent = false;
          if (done) done();
          var hadFocus = commentForm.contains(root.activeElement);
          saveState();
          show();
          status.textContent = thanks;
          if (hadFocus && !commentForm.parentNode) textarea.focus(); // its box is gone: back to the question box
        })
        .catch(function (error) {
          status.textContent = error.userMessage || T.feedbackFailed;
          show();
        })
        .finally(function () {
          setSending(false);
        });
    }

    function vote(rating) {
      if (message.rating === rating) return; // already counted
      post(rating, null, T.feedbackRecorded);
    }

    // The vote's comment: the reason chosen and the visitor's words ("Outdated: the price changed").
    function sendComment(fromForm) {
      if (commentForm.parentNode) message.commentText = comment.value.trim().slice(0, MAX_COMMENT_CHARS);
      var text = [message.reason, message.commentText].filter(Boolean).join(": ");
      post("down", text, T.commentThanks, function () {
        if (fromForm) message.commentSent = true;
      });
    }

    up.addEventListener("click", function () {
      vote("up");
    });
    down.addEventListener("click", function () {
      vote("down");
    });
    commentForm.addEventListener("submit", function (event) {
      event.preventDefault();
      sendComment(true);
    });
    show();
    if (message.rating) status.textContent = T.feedbackRecorded;
    return view;
  }

  function botView(message) {
    var answer = message.answer;
    var related = answer.related || [];
    var citations = answer.citations || [];
    // A hedged answer is the closest entry, which the bot is not sure answers the question.
    var view = el("div", { class: answer.hedged ? "msg bot hedged" : "msg bot", "data-kind": answer.kind });
    var bubble = el("div", { class: "bubble" });
    var text = answer.kind === "no_answer" ? withoutSuggestions(answer.answer, related) : answer.answer;
    // The answer is text from its first citation's document: its relative links point from there.
    bubble.appendChild(renderMarkdown(text, citations.length ? citations[0].url : null));
    view.appendChild(bubble);
    if (answer.rule && answer.rule.steps && answer.rule.steps.length) {
      var steps = el("ol");
      answer.rule.steps.forEach(function (step) {
        steps.appendChild(el("li", { text: step }));
      });
      view.appendChild(el("details", { class: "block steps" }, [el("summary", { text: T.workedOut }), steps]));
    }
    var handoff = validHandoff(answer.handoff);
    if (handoff) view.appendChild(handoffView(handoff));
    if (citations.length) {
      var sources = el("div", { class: "citations" });
      citations.forEach(function (citation) {
        sources.appendChild(citationView(citation));
      });
      view.appendChild(el("div", { class: "block" }, [el("p", { class: "label", text: citations.length > 1 ? T.sources : T.source }), sources]));
    }
    if (related.length) {
      view.appendChild(chips(related, answer.kind === "no_answer" ? T.askInstead : T.related));
    }
    if (message.answerId) view.appendChild(feedbackView(message));
    return view;
  }

  function errorView(message) {
    var view = el("div", { class: "msg bot error", role: "alert" });
    view.appendChild(el("div", { class: "bubble" }, [el("p", { text: message.text })]));
    if (message.retry) {
      var retry = el("button", { type: "button", class: "chip retry", text: T.tryAgain });
      retry.addEventListener("click", function () {
        var index = state.messages.indexOf(message);
        if (index >= 0) state.messages.splice(index, 1);
        view.remove();
        saveState();
        send(message.retry);
      });
      view.appendChild(el("div", { class: "block" }, [retry]));
    }
    return view;
  }

  function messageView(message) {
    if (message.role === "user") return el("div", { class: "msg user" }, [el("div", { class: "bubble", text: message.text })]);
    if (message.role === "bot" && message.answer) return botView(message);
    return errorView(message);
  }

  function renderAll() {
    while (log.firstChild) log.removeChild(log.firstChild);
    log.appendChild(greetingView());
    state.messages.forEach(function (message) {
      log.appendChild(messageView(message));
    });
    scrollToEnd();
  }

  function addMessage(message) {
    state.messages.push(message);
    saveState();
    var view = messageView(message);
    var previous = log.lastElementChild;
    log.appendChild(view);
    if (message.role === "user") {
      scrollToEnd();
    } else {
      // Show a long answer from its start, with the question above it when both fit.
      var top = view.offsetTop;
      if (previous && previous.classList.contains("user") && top - previous.offsetTop < log.clientHeight / 3) {
        top = previous.offsetTop;
      }
      log.scrollTop = Math.max(0, top - 12);
    }
    return view;
  }

  // ------------------------------------------------------------------ talking to the bot

  function request(path, body) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller
      ? setTimeout(function () {
          controller.abort();
        }, TIMEOUT_MS)
      : null;
    return fetch(BOT_URL + path, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
      credentials: "omit",
      signal: controller ? controller.signal : undefined,
    })
      .then(
        function (response) {
          return response
            .json()
            .catch(function () {
              return null;
            })
            .then(function (payload) {
              if (response.ok && payload) return payload;
              var error = new Error("HTTP " + response.status);
              if (response.status >= 400 && response.status < 500 && payload && payload.error) {
                error.userMessage = format(T.questionRefused, { detail: payload.error });
              } else if (response.status === 503) {
                error.userMessage = T.startingUp;
                error.retryable = true;
              } else {
                error.userMessage = T.serverError;
                error.retryable = true;
              }
              throw error;
            });
        },
        function () {
          explainCrossOriginFailure();
          var error = new Error("network");
          error.userMessage = T.unreachable;
          error.retryable = true;
          throw error;
        }
      )
      .finally(function () {
        if (timer) clearTimeout(timer);
      });
  }

  // A request refused by CORS looks like a network failure to a page. When the server is
  // reachable (a no-cors probe gets through), the cause is the server's allowlist: tell the
  // integrator in the console, once, naming the setting and this page's origin.
  var corsExplained = false;
  function explainCrossOriginFailure() {
    if (corsExplained || new URL(BOT_URL).origin === location.origin) return;
    fetch(BOT_URL + "/api/health", { mode: "no-cors", credentials: "omit" }).then(
      function () {
        if (corsExplained) return;
        corsExplained = true;
        console.warn(
          "faqbot widget: " + BOT_URL + " answered, but refused this page's origin (" + location.origin + "). " +
            "Add " + location.origin + " to the server's FAQBOT_CORS_ORIGINS setting."
        );
      },
      function () {}
    );
  }

  function setBusy(value) {
    busy = value;
    sendButton.disabled = value;
    container.classList.toggle("busy", value);
  }

  function send(question) {
    setBusy(true);
    var typing = el("div", { class: "msg bot typing" }, [
      el("div", { class: "bubble" }, [el("span", { class: "dot" }), el("span", { class: "dot" }), el("span", { class: "dot" }), el("span", { class: "visually-hidden", text: T.typing })]),
    ]);
    log.appendChild(typing);
    scrollToEnd();
    var body = { question: question, top_k: 3 };
    if (state.conversationId) body.conversation_id = state.conversationId;
    var startedBefore = conversationsStarted;
    request("/api/ask", body)
      .then(function (payload) {
        typing.remove();
        // A follow-up needs the conversation it belongs to; a reset while waiting starts a new one.
        if (typeof payload.conversation_id === "string" && payload.conversation_id && conversationsStarted === startedBefore) {
          state.conversationId = payload.conversation_id;
        }
        addMessage({ id: newId(), role: "bot", answer: compact(payload), answerId: payload.answer_id || null, rating: null });
      })
      .catch(function (error) {
        typing.remove();
        addMessage({ id: newId(), role: "error", text: error.userMessage || T.genericError, retry: error.retryable ? question : null });
      })
      .finally(function () {
        setBusy(false);
      });
  }

  function compact(payload) {
    // Keep what the view needs: sessionStorage is small.
    return {
      answer: String(payload.answer || ""),
      kind: payload.kind,
      hedged: payload.hedged === true,
      citations: (payload.citations || []).map(function (c) {
        return { passage_id: c.passage_id, doc_title: c.doc_title, section: c.section, question: c.question, quote: c.quote, anchor: c.anchor, url: c.url || null };
      }),
      related: (payload.related || []).map(function (r) {
        return { passage_id: r.passage_id, question: r.question };
      }),
      rule: payload.rule ? { name: payload.rule.name, steps: payload.rule.steps || [] } : null,
      handoff: validHandoff(payload.handoff),
    };
  }

  function ask(question) {
    question = String(question || "").trim();
    if (!question || busy) return false;
    if (question.length > MAX_CHARS) question = question.slice(0, MAX_CHARS);
    if (panel.hidden) open();
    addMessage({ id: newId(), role: "user", text: question });
    send(question);
    return true;
  }

  // ------------------------------------------------------------------ opening, closing, keys

  function open(options) {
    panel.hidden = false;
    container.classList.add("open");
    launcher.setAttribute("aria-expanded", "true");
    launcher.setAttribute("aria-label", T.closeChat);
    state.open = true;
    saveState();
    scrollToEnd();
    if (!options || options.focus !== false) textarea.focus();
  }

  function close() {
    panel.hidden = true;
    container.classList.remove("open");
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-label", T.openChat);
    state.open = false;
    saveState();
    launcher.focus();
  }

  function toggle() {
    if (panel.hidden) open();
    else close();
  }

  function autosize() {
    textarea.style.height = "auto";
    textarea.style.height = Math.min(textarea.scrollHeight, 132) + "px";
  }

  launcher.addEventListener("click", toggle);
  closeButton.addEventListener("click", close);
  resetButton.addEventListener("click", function () {
    state.messages = [];
    state.conversationId = null; // the next question starts a new conversation on the server too
    conversationsStarted += 1;
    saveState();
    renderAll();
    textarea.focus();
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (ask(textarea.value)) {
      textarea.value = "";
      autosize();
    }
  });
  textarea.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
    }
  });
  textarea.addEventListener("input", autosize);
  container.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !panel.hidden) {
      event.preventDefault();
      event.stopPropagation();
      close();
    }
  });

  // What Tab can reach in the open panel, in order (what is hidden or disabled is left out).
  function focusableInPanel() {
    var candidates = panel.querySelectorAll("a[href], button, textarea, input, select, summary, [tabindex]");
    return Array.prototype.filter.call(candidates, function (node) {
      return !node.disabled && node.tabIndex >= 0 && node.getClientRects().length > 0;
    });
  }

  // The open panel keeps the focus: Tab from its last control goes to its first, Shift+Tab the other way.
  panel.addEventListener("keydown", function (event) {
    if (event.key !== "Tab" || panel.hidden) return;
    var items = focusableInPanel();
    if (!items.length) return;
    var first = items[0];
    var last = items[items.length - 1];
    var active = root.activeElement;
    var inside = items.indexOf(active) >= 0;
    if (event.shiftKey && (active === first || !inside)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (active === last || !inside)) {
      event.preventDefault();
      first.focus();
    }
  });

  function mount() {
    document.body.appendChild(host);
    renderAll();
    if (state.open) open({ focus: false });
  }

  window.faqbot = { open: open, close: close, toggle: toggle, ask: ask, reset: function () { resetButton.click(); } };
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
