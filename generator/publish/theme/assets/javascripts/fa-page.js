/*
 * falco-archive page script (issue 13). Kept small and dependency-free.
 *
 * Ticket snippets: without a configured site_url a build cannot know where the site will be
 * served, so an alert page's snippets carry the page's site-relative path
 * (`alerts/YYYY/MM/DD/<id>/`) as their link. Here, in the browser, that path is replaced by
 * the page's own absolute address (host and any sub-path included), in the text the copy
 * buttons copy and in the snippet shown on the page, so what is pasted into a ticket links
 * back here. Only the exact link positions are rewritten (`](path)` in Markdown, `|path]` in
 * Jira), and only as text: no alert value becomes markup.
 */
(function () {
  "use strict";

  var ALERT_PATH = /(alerts\/\d{4}\/\d{2}\/\d{2}\/[A-Za-z0-9_-]+\/)(?:index\.html)?$/;

  function selfUrl() {
    var url = new URL(window.location.href);
    url.hash = "";
    url.search = "";
    url.pathname = url.pathname.replace(/index\.html$/, "");
    return url.href;
  }

  function absolutizeSnippets() {
    var match = window.location.pathname.match(ALERT_PATH);
    if (!match || !document.querySelector(".fa-snippets")) return;
    var rel = match[1];
    var abs = selfUrl();
    var fix = function (text) {
      return text
        .split("](" + rel + ")").join("](" + abs + ")")
        .split("|" + rel + "]").join("|" + abs + "]");
    };
    document.querySelectorAll(".fa-copy[data-clipboard-text]").forEach(function (button) {
      button.setAttribute("data-clipboard-text", fix(button.getAttribute("data-clipboard-text")));
    });
    document.querySelectorAll("pre.fa-snippet code").forEach(function (code) {
      code.textContent = fix(code.textContent);
    });
  }

  /*
   * Build time and version: in the footer of every page and on the home page, read from the
   * one small build.json at view time. Rendered into every page, they would change every
   * page on every nightly build and the incremental build would stop being incremental.
   */
  function showBuild() {
    var script = document.querySelector('script[src$="assets/javascripts/fa-page.js"]');
    if (!script || !window.fetch) return;
    var url = script.src.replace(/assets\/javascripts\/fa-page\.js$/, "build.json");
    fetch(url)
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (b) {
        if (!b || typeof b.time !== "string") return;
        var text = "Built " + b.time + " by falco-archive " + String(b.version) + " (" + String(b.mode) + " build)";
        var meta = document.querySelector(".md-footer-meta__inner");
        if (meta) {
          var line = document.createElement("div");
          line.className = "md-footer-copyright fa-build-info";
          line.textContent = text;
          meta.appendChild(line);
        }
        document.querySelectorAll(".fa-build-slot").forEach(function (slot) {
          slot.textContent = "Last build: " + b.time + " (falco-archive " + String(b.version) + ", " + String(b.mode) + ")";
        });
      })
      .catch(function () { /* offline file:// view: the build report still has it */ });
  }

  function ready() {
    absolutizeSnippets();
    showBuild();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
