// The status page the gateway serves at `/`: one self-contained HTML document (no build step,
// no external requests) that polls `/status` every second. Every value from the server is
// set with textContent, never parsed as HTML: error texts come from upstreams.
// The script avoids backticks and `${` so that it can live in this template literal unescaped.

export const dashboardPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Switchboard</title>
<style>
  :root {
    --bg: #f7f7f8; --panel: #fff; --text: #1c1d21; --muted: #6b6f7b; --line: #e4e5ea;
    --ok: #15803d; --ok-bg: #dcfce7; --warn: #a16207; --warn-bg: #fef3c7; --bad: #b91c1c; --bad-bg: #fee2e2;
  }
  @media (prefers-color-scheme: dark) {
    :root {
      --bg: #111214; --panel: #1a1b1f; --text: #e8e9ed; --muted: #9095a1; --line: #2a2c33;
      --ok: #4ade80; --ok-bg: #14321f; --warn: #facc15; --warn-bg: #3a3112; --bad: #f87171; --bad-bg: #3d1818;
    }
  }
  * { box-sizing: border-box; }
  body { margin: 0; background: var(--bg); color: var(--text);
    font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
  main { max-width: 1200px; margin: 0 auto; padding: 28px 20px; }
  header { display: flex; align-items: baseline; gap: 16px; flex-wrap: wrap; margin-bottom: 20px; }
  h1 { font-size: 20px; margin: 0; letter-spacing: -0.01em; }
  #summary { color: var(--muted); }
  #live { margin-left: auto; color: var(--muted); font-size: 12px; }
  #live::before { content: ""; display: inline-block; width: 8px; height: 8px; border-radius: 50%;
    background: var(--ok); margin-right: 6px; vertical-align: 1px; }
  #live.down::before { background: var(--bad); }
  .panel { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; overflow-x: auto; }
  table { width: 100%; border-collapse: collapse; }
  th, td { padding: 10px 14px; text-align: left; white-space: nowrap; border-bottom: 1px solid var(--line); }
  tr:last-child td { border-bottom: 0; }
  th { font-size: 12px; font-weight: 600; color: var(--muted); text-transform: uppercase; letter-spacing: 0.04em; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  th.num { text-align: right; }
  th[title] { cursor: help; }
  td.error { white-space: normal; width: 100%; min-width: 220px; color: var(--muted); font-size: 13px;
    overflow-wrap: anywhere; }
  td.error.set { color: var(--bad); }
  .name { font-weight: 600; }
  .models { color: var(--muted); font-size: 12px; }
  .pill { display: inline-block; padding: 2px 9px; border-radius: 999px; font-size: 12px; font-weight: 600; }
  .closed { color: var(--ok); background: var(--ok-bg); }
  .half-open { color: var(--warn); background: var(--warn-bg); }
  .open { color: var(--bad); background: var(--bad-bg); }
  tr.first-of-provider td { border-top: 2px solid var(--line); }
  .muted { color: var(--muted); }
  .bad { color: var(--bad); font-weight: 600; }
  .when { color: var(--muted); font-size: 12px; }
  #empty { padding: 24px; color: var(--muted); }
  footer { margin-top: 14px; color: var(--muted); font-size: 12px; }
</style>
</head>
<body>
<main>
  <header>
    <h1>Switchboard</h1>
    <span id="summary"></span>
    <span id="live">connecting…</span>
  </header>
  <div class="panel">
    <table>
      <thead>
        <tr>
          <th title="provider/model (#key when a provider has several keys); the provider's model name below">Deployment</th><th>State</th><th>Healthy</th>
          <th class="num" title="Consecutive failures; the circuit opens at routing.failureThreshold">Failures</th>
          <th class="num" title="Moving average of answer latency">Latency</th>
          <th class="num">Requests</th><th class="num">Errors</th><th>Last error</th>
          <th title="When an open circuit is next probed; the first probe that succeeds closes it">Next probe</th>
          <th title="When the deployment's rate limits let it be tried again">Rate-limited</th>
        </tr>
      </thead>
      <tbody id="rows"></tbody>
    </table>
    <div id="empty" hidden>No providers configured.</div>
  </div>
  <footer>Polls <code>/status</code> every second · metrics at <code>/metrics</code></footer>
</main>
<script>
  var rows = document.getElementById('rows');
  var live = document.getElementById('live');
  var summary = document.getElementById('summary');
  var empty = document.getElementById('empty');
  var stateText = { closed: 'closed', 'half-open': 'half-open', open: 'open' };

  function cell(row, text, className, title) {
    var td = document.createElement('td');
    if (className) td.className = className;
    if (title) td.title = title;
    if (text instanceof Node) td.appendChild(text); else td.textContent = text;
    row.appendChild(td);
    return td;
  }
  function duration(seconds) {
    return seconds < 90 ? seconds + ' s' : Math.round(seconds / 60) + ' min';
  }
  // A countdown reads at a glance; the clock time is in the tooltip.
  function until(row, at, now) {
    if (at === null || at === undefined) return cell(row, '—', 'muted');
    var seconds = Math.max(0, Math.ceil((at - now) / 1000));
    return cell(row, 'in ' + duration(seconds), '', new Date(at).toLocaleTimeString());
  }
  function ago(at, now) {
    if (!at) return '';
    return duration(Math.max(0, Math.round((now - at) / 1000))) + ' ago';
  }
  function render(status) {
    var now = status.now;
    var providers = Object.keys(status.providers).map(function (name) { return status.providers[name]; });
    providers.sort(function (a, b) { return a.priority - b.priority || (a.name < b.name ? -1 : 1); });
    var healthy = providers.filter(function (p) { return p.healthy; }).length;
    // One row per deployment, a provider's together; a gateway that lists none gives one per provider.
    var deployments = [];
    providers.forEach(function (p) {
      (p.deployments || [{ id: p.name, providerModel: p.models.join(', '), key: null, state: p.state, healthy: p.healthy,
        consecutiveFailures: p.consecutiveFailures, latencyEmaMs: p.latencyEmaMs, requests: p.requests, errors: p.errors,
        lastError: p.lastError, lastErrorAt: p.lastErrorAt, nextProbeAt: p.cooldownUntil, rateLimitedUntil: p.rateLimitedUntil }])
        .forEach(function (d, index) { deployments.push({ d: d, first: index === 0 }); });
    });
    var serving = deployments.filter(function (entry) { return entry.d.healthy; }).length;
    summary.textContent = healthy + ' of ' + providers.length + ' providers healthy · ' +
      serving + ' of ' + deployments.length + ' deployments in service · ' +
      status.models.length + (status.models.length === 1 ? ' model' : ' models') + (status.status === 'draining' ? ' · draining' : '');
    empty.hidden = providers.length > 0;
    var body = document.createDocumentFragment();
    deployments.forEach(function (entry) {
      var p = entry.d;
      var row = document.createElement('tr');
      if (entry.first) row.className = 'first-of-provider';
      var name = document.createElement('div');
      var title = document.createElement('div');
      title.className = 'name';
      title.textContent = p.id;
      var models = document.createElement('div');
      models.className = 'models';
      models.textContent = p.providerModel + (p.key ? ' · key ' + p.key : '');
      name.appendChild(title);
      name.appendChild(models);
      cell(row, name);
      var pill = document.createElement('span');
      pill.className = 'pill ' + p.state;
      pill.textContent = stateText[p.state] || p.state;
      cell(row, pill);
      cell(row, p.healthy ? 'yes' : 'no', p.healthy ? '' : 'bad');
      cell(row, String(p.consecutiveFailures), 'num');
      cell(row, p.latencyEmaMs === null ? '—' : p.latencyEmaMs.toFixed(1) + ' ms', p.latencyEmaMs === null ? 'num muted' : 'num');
      cell(row, String(p.requests), 'num');
      cell(row, String(p.errors), 'num');
      var error = document.createElement('div');
      error.textContent = p.lastError || '—';
      if (p.lastError && p.lastErrorAt) {
        var when = document.createElement('div');
        when.className = 'when';
        when.textContent = ago(p.lastErrorAt, now);
        error.appendChild(when);
      }
      cell(row, error, p.lastError && !p.healthy ? 'error set' : 'error', p.lastError || '');
      until(row, p.nextProbeAt, now);
      until(row, p.rateLimitedUntil, now);
      body.appendChild(row);
    });
    rows.replaceChildren(body);
  }
  function poll() {
    fetch('status', { cache: 'no-store' })
      .then(function (response) {
        if (!response.ok) throw new Error('HTTP ' + response.status);
        return response.json();
      })
      .then(function (status) {
        render(status);
        live.className = '';
        live.textContent = 'live · ' + new Date().toLocaleTimeString();
      })
      .catch(function (error) {
        live.className = 'down';
        live.textContent = 'gateway unreachable (' + error.message + ')';
      })
      .finally(function () { setTimeout(poll, 1000); });
  }
  poll();
</script>
</body>
</html>
`;
