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
 *           defer></script>
 *
 * The widget lives in an open shadow root (styles do not leak either way),
 * keeps the conversation in sessionStorage (it survives reloads in the same
 * tab), and inserts questions and FAQ text with DOM APIs and textContent only:
 * never as HTML. It also exposes window.faqbot = {open, close, toggle, ask, reset}.
 */
(function () {
  "use strict";

  if (window.faqbot) return; // embedded twice: the first one wins

  var script = document.currentScript;
  var data = (script && script.dataset) || {};
  var SCRIPT_ORIGIN = script && script.src ? new URL(script.src, location.href).origin : location.origin;
  var BOT_URL = httpUrl(data.botUrl) || SCRIPT_ORIGIN;
  var TITLE = data.title || "Help";
  var GREETING = data.greeting || "Hi! Ask me a question about our FAQ.";
  var PLACEHOLDER = data.placeholder || "Type your question…";
  var POSITION = data.position === "left" ? "left" : "right";
  var COLOR = data.color && window.CSS && CSS.supports("color", data.color) ? data.color : "";

  var MAX_CHARS = 1000;
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

  // ------------------------------------------------------------------ state

  var state = loadState();
  var busy = false;

  function loadState() {
    try {
      var saved = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || "null");
      if (saved && Array.isArray(saved.messages)) return { open: !!saved.open, messages: saved.messages };
    } catch (e) {
      /* storage disabled or corrupt: start afresh */
    }
    return { open: false, messages: [] };
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

  // ------------------------------------------------------------------ a tiny, safe markdown subset
  // Paragraphs, "-" and numbered lists, **bold**, *italic*, `code` and [links](http(s) only).
  // Every piece of text becomes a text node; nothing is parsed as HTML.

  var ENTITIES = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'", "&nbsp;": "\u00a0" };
  var INLINE = /\*\*([^*]+?)\*\*|\[([^\]]+)\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)|`([^`]+)`|\*([^*\s][^*]*?)\*/g;

  function appendInline(parent, text) {
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
        appendInline(strong, m[1]);
        parent.appendChild(strong);
      } else if (m[2] !== undefined) {
        var href = /^https?:\/\//i.test(m[3]) ? httpUrl(m[3]) : "";
        if (href) {
          parent.appendChild(el("a", { href: m[3], target: "_blank", rel: "noopener noreferrer", text: m[2] }));
        } else {
          parent.appendChild(document.createTextNode(m[2]));
        }
      } else if (m[4] !== undefined) {
        parent.appendChild(el("code", { text: m[4] }));
      } else {
        parent.appendChild(el("em", { text: m[5] }));
      }
      last = piece.end;
    });
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function renderMarkdown(text) {
    var out = document.createDocumentFragment();
    var paragraph = [];
    var list = null;
    var listTag = "";

    function flushParagraph() {
      if (!paragraph.length) return;
      var p = el("p");
      appendInline(p, paragraph.join(" "));
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
      appendInline(li, body);
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
          appendInline(heading, m[1]);
          out.appendChild(heading);
        } else if (list && /^\s{2,}/.test(raw)) {
          appendInline(list.lastChild, " " + line); // an indented line continues the item
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
      "aria-label": "Open help chat",
      "aria-expanded": "false",
      "aria-controls": "faqbot-panel",
    },
    [icon("chat", "icon-chat"), icon("close", "icon-close")]
  );

  var titleId = "faqbot-title";
  var resetButton = el("button", { type: "button", class: "header-button", "aria-label": "Start a new conversation", title: "New conversation" }, [icon("reset")]);
  var closeButton = el("button", { type: "button", class: "header-button", "aria-label": "Close chat", title: "Close" }, [icon("close")]);
  var header = el("div", { class: "header" }, [
    el("div", { class: "avatar", "aria-hidden": "true" }, [icon("chat")]),
    el("div", { class: "heading" }, [
      el("h2", { id: titleId, text: TITLE }),
      el("p", { class: "subtitle", text: "Answers from our FAQ, with sources" }),
    ]),
    resetButton,
    closeButton,
  ]);
  var log = el("div", { class: "log", role: "log", "aria-live": "polite", "aria-relevant": "additions", "aria-label": "Conversation", tabindex: "-1" });
  var textarea = el("textarea", {
    rows: "1",
    maxlength: String(MAX_CHARS),
    placeholder: PLACEHOLDER,
    "aria-label": "Your question",
    enterkeyhint: "send",
  });
  var sendButton = el("button", { type: "submit", class: "send", "aria-label": "Send question" }, [icon("send")]);
  var form = el("form", { class: "composer" }, [textarea, sendButton]);
  var footnote = el("p", { class: "footnote", text: "Enter to send · Shift+Enter for a new line" });
  var panel = el(
    "div",
    { class: "panel", id: "faqbot-panel", role: "dialog", "aria-modal": "false", "aria-labelledby": titleId, hidden: true },
    [header, log, form, footnote]
  );
  var container = el("div", { class: "faqbot pos-" + POSITION }, [launcher, panel]);
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

  function feedbackView(message) {
    var status = el("span", { class: "feedback-status", role: "status" });
    var up = el("button", { type: "button", class: "thumb", "data-rating": "up", "aria-label": "Helpful", title: "Helpful" }, [icon("thumbUp")]);
    var down = el("button", { type: "button", class: "thumb", "data-rating": "down", "aria-label": "Not helpful", title: "Not helpful" }, [icon("thumbDown")]);
    var row = el("div", { class: "feedback" }, [el("span", { class: "feedback-label", text: "Was this helpful?" }), up, down, status]);

    function show(rating) {
      up.setAttribute("aria-pressed", String(rating === "up"));
      down.setAttribute("aria-pressed", String(rating === "down"));
      if (rating) {
        up.disabled = down.disabled = true;
        status.textContent = "Thanks, your feedback was recorded.";
        row.classList.add("done");
      }
    }
    function send(rating) {
      up.disabled = down.disabled = true;
      status.textContent = "Sending…";
      request("/api/feedback", { answer_id: message.answerId, rating: rating })
        .then(function () {
          message.rating = rating;
          saveState();
          show(rating);
        })
        .catch(function (error) {
          up.disabled = down.disabled = false;
          status.textContent = error.userMessage || "Your feedback could not be sent. Please try again.";
        });
    }
    up.addEventListener("click", function () {
      send("up");
    });
    down.addEventListener("click", function () {
      send("down");
    });
    show(message.rating || null);
    return row;
  }

  function botView(message) {
    var answer = message.answer;
    var related = answer.related || [];
    var view = el("div", { class: "msg bot", "data-kind": answer.kind });
    var bubble = el("div", { class: "bubble" });
    var text = answer.kind === "no_answer" ? withoutSuggestions(answer.answer, related) : answer.answer;
    bubble.appendChild(renderMarkdown(text));
    view.appendChild(bubble);
    if (answer.rule && answer.rule.steps && answer.rule.steps.length) {
      var steps = el("ol");
      answer.rule.steps.forEach(function (step) {
        steps.appendChild(el("li", { text: step }));
      });
      view.appendChild(el("details", { class: "block steps" }, [el("summary", { text: "How this was worked out" }), steps]));
    }
    var citations = answer.citations || [];
    if (citations.length) {
      var sources = el("div", { class: "citations" });
      citations.forEach(function (citation) {
        sources.appendChild(citationView(citation));
      });
      view.appendChild(el("div", { class: "block" }, [el("p", { class: "label", text: citations.length > 1 ? "Sources" : "Source" }), sources]));
    }
    if (related.length) {
      view.appendChild(chips(related, answer.kind === "no_answer" ? "You could ask instead" : "Related questions"));
    }
    if (message.answerId) view.appendChild(feedbackView(message));
    return view;
  }

  function errorView(message) {
    var view = el("div", { class: "msg bot error", role: "alert" });
    view.appendChild(el("div", { class: "bubble" }, [el("p", { text: message.text })]));
    if (message.retry) {
      var retry = el("button", { type: "button", class: "chip retry", text: "Try again" });
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
                error.userMessage = "Sorry, I couldn't take that question: " + payload.error;
              } else if (response.status === 503) {
                error.userMessage = "The assistant is starting up. Please try again in a few seconds.";
                error.retryable = true;
              } else {
                error.userMessage = "Something went wrong on our side. Please try again in a moment.";
                error.retryable = true;
              }
              throw error;
            });
        },
        function () {
          explainCrossOriginFailure();
          var error = new Error("network");
          error.userMessage = "I can't reach the help service right now. Please check your connection and try again.";
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
      el("div", { class: "bubble" }, [el("span", { class: "dot" }), el("span", { class: "dot" }), el("span", { class: "dot" }), el("span", { class: "visually-hidden", text: "The assistant is typing…" })]),
    ]);
    log.appendChild(typing);
    scrollToEnd();
    request("/api/ask", { question: question, top_k: 3 })
      .then(function (payload) {
        typing.remove();
        addMessage({ id: newId(), role: "bot", answer: compact(payload), answerId: payload.answer_id || null, rating: null });
      })
      .catch(function (error) {
        typing.remove();
        addMessage({ id: newId(), role: "error", text: error.userMessage || "Something went wrong. Please try again.", retry: error.retryable ? question : null });
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
      citations: (payload.citations || []).map(function (c) {
        return { passage_id: c.passage_id, doc_title: c.doc_title, section: c.section, question: c.question, quote: c.quote, anchor: c.anchor };
      }),
      related: (payload.related || []).map(function (r) {
        return { passage_id: r.passage_id, question: r.question };
      }),
      rule: payload.rule ? { name: payload.rule.name, steps: payload.rule.steps || [] } : null,
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
    launcher.setAttribute("aria-label", "Close help chat");
    state.open = true;
    saveState();
    scrollToEnd();
    if (!options || options.focus !== false) textarea.focus();
  }

  function close() {
    panel.hidden = true;
    container.classList.remove("open");
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-label", "Open help chat");
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

  function mount() {
    document.body.appendChild(host);
    renderAll();
    if (state.open) open({ focus: false });
  }

  window.faqbot = { open: open, close: close, toggle: toggle, ask: ask, reset: function () { resetButton.click(); } };
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
