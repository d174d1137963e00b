// Progressive enhancement only: every form works without this file.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.classList.contains("confirm")) {
    // The question comes in the page's language from the form itself.
    if (!window.confirm(form.dataset.confirm || "Delete this schedule? This cannot be undone.")) event.preventDefault();
  }
});
