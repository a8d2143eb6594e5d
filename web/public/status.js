// Renders /readyz: which of the platform's stores this chat-server can reach. Text only (no innerHTML).
const overall = document.getElementById('overall');
const list = document.getElementById('checks');

async function refresh() {
  try {
    const res = await fetch('/readyz', { cache: 'no-store' });
    const report = await res.json();
    overall.textContent = report.ready ? 'All systems ready' : 'Not ready';
    list.replaceChildren(...Object.entries(report.checks).map(([name, check]) => {
      const li = document.createElement('li');
      li.className = check.ok ? 'ok' : 'fail';
      li.dataset.check = name;
      li.textContent = `${name}: ${check.ok ? `ok (${check.ms} ms)` : check.error}`;
      return li;
    }));
  } catch (err) {
    overall.textContent = `Cannot reach the server: ${err.message}`;
  }
}
refresh();
setInterval(refresh, 5000);
