/* Small progressive enhancements; every page works without JavaScript.
   - [data-copy="#selector"] buttons copy the value/text of the target.
   Live updates (websockets) hook in through the data-* attributes of the pages:
   #leaderboard[data-race-id] rows [data-racer], [data-submission-id][data-status]. */
(function () {
  "use strict";

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      try {
        document.execCommand("copy") ? resolve() : reject(new Error("copy refused"));
      } catch (err) {
        reject(err);
      } finally {
        document.body.removeChild(area);
      }
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var target = document.querySelector(button.getAttribute("data-copy"));
    if (!target) return;
    var text = "value" in target ? target.value : target.textContent;
    var label = button.textContent;
    copyText(text.trim()).then(
      function () {
        button.textContent = "Copied ✓";
        button.classList.add("copied");
        setTimeout(function () {
          button.textContent = label;
          button.classList.remove("copied");
        }, 1600);
      },
      function () {
        if (target.select) target.select();
        button.textContent = "Press Ctrl+C";
        setTimeout(function () { button.textContent = label; }, 2000);
      }
    );
  });

  // Selecting the whole token on focus makes a manual copy easy too.
  document.querySelectorAll("input[readonly]").forEach(function (input) {
    input.addEventListener("focus", function () { input.select(); });
  });
})();
