// Print buttons (申报摘要、决定书): no inline script under the CSP.
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
