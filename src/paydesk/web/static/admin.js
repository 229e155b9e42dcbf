// A form with data-confirm asks first ("{amount}" is filled in from the form's amount field),
// so a refund or a release is never one stray click away.
document.querySelectorAll("form[data-confirm]").forEach((form) => {
  form.addEventListener("submit", (event) => {
    const amount = form.querySelector("[name=amount]");
    const text = form.dataset.confirm.replace("{amount}", amount ? amount.value.trim() : "");
    if (!window.confirm(text)) event.preventDefault();
  });
});
