// Progressive enhancement only: every form works without this file.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.classList.contains("confirm")) {
    if (!window.confirm("Delete this schedule? This cannot be undone.")) event.preventDefault();
  }
});
