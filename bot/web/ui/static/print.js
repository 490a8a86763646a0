// A "Print" button: the browser's print dialog (the page's print styles leave out navigation and forms).
document.querySelectorAll("[data-print]").forEach((b) => b.addEventListener("click", () => window.print()));
