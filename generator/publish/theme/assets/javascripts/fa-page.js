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
   * Build time, version and duration: in the footer of every page and on the home page, read from the
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
        var took = typeof b.seconds === "number" ? ", took " + b.seconds.toFixed(1) + " s" : "";
        var text = "Built " + b.time + " by falco-archive " + String(b.version) + " (" + String(b.mode) + " build" + took + ")";
        var meta = document.querySelector(".md-footer-meta__inner");
        if (meta) {
          var line = document.createElement("div");
          line.className = "md-footer-copyright fa-build-info";
          line.textContent = text;
          meta.appendChild(line);
        }
        document.querySelectorAll(".fa-build-slot").forEach(function (slot) {
          slot.textContent = "Last build: " + b.time + " (falco-archive " + String(b.version) + ", " + String(b.mode) + took + ")";
        });
      })
      .catch(function () { /* offline file:// view: the build report still has it */ });
  }

  /*
   * "2 of 5 similar alerts": an alert page names its repeat group's small similar.json
   * (data-similar) and page (data-group). The count is read here, at view time, so a group
   * that grows every night re-renders its group page, never its members' pages. A group of
   * one alert has no similar.json: nothing is shown.
   */
  function showSimilar() {
    var slot = document.querySelector("p.fa-similar[data-similar]");
    if (!slot || !window.fetch) return;
    var me = window.location.pathname.match(ALERT_PATH);
    fetch(slot.getAttribute("data-similar"))
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (g) {
        if (!g || typeof g.alerts !== "number" || g.alerts < 2) return;
        var id = me ? me[1].split("/")[4] : null;
        var at = Array.isArray(g.ids) && id ? g.ids.indexOf(id) : -1;
        var text = (at >= 0 ? (at + 1) + " of " : "One of ") + g.alerts.toLocaleString("en-US") + " similar alerts";
        var link = document.createElement("a");
        link.href = slot.getAttribute("data-group");
        link.textContent = text;
        slot.textContent = "";
        slot.appendChild(link);
        slot.appendChild(document.createTextNode(at >= 0 ? " (oldest first): same rule, host and activity." : ": same rule, host and activity."));
        slot.hidden = false;
      })
      .catch(function () { /* offline file:// view: the alert page stands on its own */ });
  }

  function ready() {
    absolutizeSnippets();
    showBuild();
    showSimilar();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
