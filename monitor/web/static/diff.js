// Keyboard navigation between changes on the diff page: j or n = next, k or p = previous.
// The focused change gets the class "current" and is scrolled into view. No inline script:
// this file is loaded with <script src> under the page's Content-Security-Policy.
(function () {
  "use strict";

  var index = -1;

  function changes() {
    return Array.prototype.slice.call(document.querySelectorAll("#diff .change"));
  }

  function isTyping(target) {
    if (!target || !target.tagName) {
      return false;
    }
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function focusChange(step) {
    var list = changes();
    if (list.length === 0) {
      return;
    }
    if (index >= 0 && index < list.length) {
      list[index].classList.remove("current");
    }
    index = Math.max(0, Math.min(list.length - 1, index + step));
    var element = list[index];
    element.classList.add("current");
    element.scrollIntoView({ block: "center" });
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) {
      return;
    }
    if (event.key === "j" || event.key === "n") {
      focusChange(1);
      event.preventDefault();
    } else if (event.key === "k" || event.key === "p") {
      focusChange(index < 0 ? 1 : -1);
      event.preventDefault();
    }
  });
})();
