/** The example hosts' own look: plain, large, clearly not the kiosk's. Served as /host-page.css. */
export const pageCss = `
:root { font-family: system-ui, sans-serif; font-size: 22px; color: #1d2230; background: #f3efe6; }
body { margin: 0; }
header { padding: 0.6rem 1.2rem; background: #23324f; color: #fff; font-weight: 700; display: flex; justify-content: space-between; }
main { max-width: 40rem; margin: 2rem auto; padding: 0 1rem; display: flex; flex-direction: column; gap: 1rem; }
h1 { margin: 0; }
form { display: inline; }
.actions { display: flex; flex-wrap: wrap; gap: 0.8rem; }
button { font: inherit; min-height: 72px; min-width: 12rem; padding: 0 1.2rem; border-radius: 10px; border: 2px solid #23324f; background: #fff; }
button.primary { background: #23324f; color: #fff; }
button[aria-pressed='true'] { outline: 4px solid #d9a400; }
input { font: inherit; padding: 0.5rem; min-height: 60px; border: 2px solid #23324f; border-radius: 8px; }
.receipt { font-family: ui-monospace, monospace; background: #fff; padding: 1rem; border: 1px dashed #777; white-space: pre-wrap; }
.note { color: #555; font-size: 0.8rem; }
`;

/**
 * Reloads the page when the host's state changes (an outcome arrived while the page waited): a long poll on
 * /changes. Served as /host-page.js, so the page runs under a CSP without inline script.
 */
export const pageScript = `
const version = Number(document.body.dataset.version);
async function follow() {
  for (;;) {
    try {
      const response = await fetch('/changes?since=' + version);
      const answer = await response.json();
      if (answer.version !== version) { location.reload(); return; }
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}
follow();
`;
