/* Small behaviours shared by every page, wired by data- attributes.
 *
 * Pages carry no inline script and no on*= handler attributes: the Content-Security-Policy allows
 * scripts from our own origin only (zqztc/settings.py, CONTENT_SECURITY_POLICY). Listeners sit on
 * the document, so content that htmx swaps in later is covered too.
 *   <button data-zq-print>                  prints the page
 *   <input data-zq-no-enter-submit>          Enter in this field does not submit its form
 */
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-zq-print]")) {
      window.print();
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.closest && event.target.closest("[data-zq-no-enter-submit]")) {
      event.preventDefault();
    }
  });
})();
