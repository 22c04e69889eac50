// The dashboard the gateway serves at `/`: one HTML document and uPlot (served from /assets, no
// CDN). It follows `/status/stream` with fetch() so that a gateway key travels in a header, never
// in a URL; the key is asked once and kept in sessionStorage. Every value from the server is set
// with textContent, never parsed as HTML: error texts come from upstreams.
// The script avoids backticks and dollar-brace so that it can live in this template literal.

export const dashboardPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Switchboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="assets/uplot.css">
<style>
  :root { --bg: #f7f7f8; --panel: #fff; --text: #1c1d21; --muted: #6b6f7b; --line: #e4e5ea;
    --ok: #15803d; --ok-bg: #dcfce7; --warn: #a16207; --warn-bg: #fef3c7; --bad: #b91c1c; --bad-bg: #fee2e2; }
  @media (prefers-color-scheme: dark) {
    :root { --bg: #111214; --panel: #1a1b1f; --text: #e8e9ed; --muted: #9095a1; --line: #2a2c33;
      --ok: #4ade80; --ok-bg: #14321f; --warn: #facc15; --warn-bg: #3a3112; --bad: #f87171; --bad-bg: #3d1818; }
  }
  * { box-sizing: border-box; }
  body { margin: 0; background: var(--bg); color: var(--text); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
  main { max-width: 1280px; margin: 0 auto; padding: 24px 20px; }
  header { display: flex; align-items: baseline; gap: 16px; flex-wrap: wrap; margin-bottom: 16px; }
  h1 { font-size: 20px; margin: 0; }
  h2 { font-size: 13px; margin: 0 0 8px; color: var(--muted); text-transform: uppercase; letter-spacing: 0.04em; }
  #summary { color: var(--muted); }
  #live { margin-left: auto; color: var(--muted); font-size: 12px; }
  #live::before { content: ""; display: inline-block; width: 8px; height: 8px; border-radius: 50%;
    background: var(--muted); margin-right: 6px; vertical-align: 1px; }
  #live.on::before { background: var(--ok); }
  #live.down::before { background: var(--bad); }
  #keyform { margin-bottom: 16px; padding: 14px; }
  #keyform input { padding: 6px 8px; min-width: 280px; }
  .panel { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; overflow-x: auto; margin-bottom: 16px; }
  .pad { padding: 12px 14px; }
  .grid { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 16px; }
  table { width: 100%; border-collapse: collapse; }
  th, td { padding: 8px 10px; text-align: left; white-space: nowrap; border-bottom: 1px solid var(--line); }
  th { font-size: 12px; font-weight: 600; color: var(--muted); text-transform: uppercase; letter-spacing: 0.04em; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  td.error { white-space: normal; min-width: 160px; max-width: 240px; color: var(--muted); font-size: 13px; overflow-wrap: anywhere; }
  tr.provider td { background: var(--bg); font-weight: 600; border-top: 2px solid var(--line); }
  tr.provider .sub { font-weight: 400; color: var(--muted); margin-left: 10px; }
  .name { font-weight: 600; }
  .models { color: var(--muted); font-size: 12px; }
  .pill { display: inline-block; padding: 2px 9px; border-radius: 999px; font-size: 12px; font-weight: 600; }
  .healthy { color: var(--ok); background: var(--ok-bg); }
  .probing, .rate-limited, .degraded { color: var(--warn); background: var(--warn-bg); }
  .cooling-down, .key-rejected, .down { color: var(--bad); background: var(--bad-bg); }
  .muted { color: var(--muted); }
  svg.spark { vertical-align: middle; margin-left: 6px; }
  svg.spark polyline { fill: none; stroke: var(--muted); stroke-width: 1.5; }
  button { font: inherit; font-size: 12px; padding: 3px 8px; border: 1px solid var(--line); border-radius: 6px;
    background: var(--panel); color: var(--text); cursor: pointer; }
  #events { list-style: none; margin: 0; padding: 0; max-height: 320px; overflow-y: auto; font-size: 13px; }
  #events li { padding: 4px 0; border-bottom: 1px solid var(--line); }
  #events .at { color: var(--muted); margin-right: 8px; font-variant-numeric: tabular-nums; }
  #events .kind { margin-right: 8px; }
  #empty-events { color: var(--muted); }
  footer { color: var(--muted); font-size: 12px; }
</style>
</head>
<body>
<main>
  <header><h1>Switchboard</h1><span id="summary"></span><span id="live">connecting…</span></header>
  <form id="keyform" class="panel" hidden>
    <label>Gateway key <input id="key" type="password" autocomplete="off" placeholder="sk-…"></label>
    <button type="submit">Connect</button> <span class="muted">kept for this tab only (sessionStorage)</span>
  </form>
  <div class="panel">
    <table id="deployments">
      <thead><tr>
        <th>Deployment</th><th>State</th><th class="num" title="p50 / p95 over the last step; sparkline: p50 of the last minutes">Latency</th>
        <th class="num" title="Time to first token, p50 / p95">TTFT</th><th class="num">Req/min</th><th class="num">Err/min</th>
        <th class="num" title="Remaining share of the tighter rate-limit bucket">Headroom</th>
        <th class="num" title="USD its answers cost, every replica's when the state is in Redis">Spend</th><th>Last error</th>
        <th title="When an open circuit is next probed">Next probe</th><th></th>
      </tr></thead>
      <tbody id="rows"></tbody>
    </table>
  </div>
  <div class="grid">
    <div class="panel pad"><h2>Traffic share per provider</h2><div id="chart"></div>
      <div class="muted" id="marks-legend">red line: trip · green line: recovery</div></div>
    <div class="panel pad"><h2>Events</h2><div id="empty-events">no events yet</div><ol id="events"></ol></div>
  </div>
  <footer>Follows <code>/status/stream</code> · metrics at <code>/metrics</code></footer>
</main>
<script src="assets/uplot.js"></script>
<script>
(function () {
  var $ = function (id) { return document.getElementById(id); };
  var live = $('live'), rows = $('rows'), feed = $('events');
  var keyName = 'switchboard-key';
  var hist = {}, marks = [], rowOf = {}, rowIds = '', chart = null, colours = ['#2563eb', '#16a34a', '#d97706', '#9333ea', '#dc2626', '#0891b2'];
  var words = { healthy: 'healthy', 'cooling-down': 'cooling down', probing: 'probing', 'rate-limited': 'rate-limited', 'key-rejected': 'key rejected' };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function condition(d, failure, now) {
    if (d.state === 'half-open') return 'probing';
    if (d.state === 'open') return failure && failure.indexOf('auth') === 0 ? 'key-rejected' : 'cooling-down';
    if (d.rateLimitedUntil && d.rateLimitedUntil > now) return 'rate-limited';
    return 'healthy';
  }
  function ms(value) { return value === null || value === undefined ? '—' : Math.round(value) + ''; }
  function spark(values) {
    var svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('class', 'spark'); svg.setAttribute('width', '48'); svg.setAttribute('height', '16');
    var known = values.filter(function (v) { return v !== null; });
    if (known.length > 1) {
      var max = Math.max.apply(null, known) || 1, line = document.createElementNS('http://www.w3.org/2000/svg', 'polyline');
      line.setAttribute('points', values.map(function (v, i) {
        return (i * 48 / Math.max(1, values.length - 1)).toFixed(1) + ',' + (v === null ? 15 : 15 - 14 * v / max).toFixed(1);
      }).join(' '));
      svg.appendChild(line);
    }
    return svg;
  }
  function merge(update) {
    var cutoff = update.now - 3600 * 1000;
    Object.keys(update.history).forEach(function (id) {
      var points = hist[id] || (hist[id] = []);
      // A step sent again (the open one, or the fleet's while the replicas' counts still arrive) replaces the one it was.
      update.history[id].forEach(function (point) {
        var i = points.length - 1;
        while (i >= 0 && points[i].at > point.at) i--;
        if (i >= 0 && points[i].at === point.at) points[i] = point; else points.splice(i + 1, 0, point);
      });
      while (points.length && points[0].at < cutoff) points.shift();
    });
    update.events.forEach(function (event) {
      if (event.kind === 'trip' || event.kind === 'recovery') marks.push(event);
      var item = el('li');
      item.appendChild(el('span', 'at', new Date(event.at).toLocaleTimeString()));
      var kindClass = { trip: 'down', failover: 'rate-limited', recovery: 'healthy', 'request-failed': 'down', 'store-lost': 'down', 'store-regained': 'healthy' }[event.kind] || '';
      item.appendChild(el('span', 'pill kind ' + kindClass, event.kind));
      item.appendChild(el('span', 'message', event.message));
      item.dataset.kind = event.kind;
      feed.insertBefore(item, feed.firstChild);
    });
    while (feed.children.length > 200) feed.removeChild(feed.lastChild);
    $('empty-events').hidden = feed.children.length > 0;
    while (marks.length && marks[0].at < cutoff) marks.shift();
  }
  function recent(id, now, field) {
    var points = hist[id] || [], sum = 0;
    points.forEach(function (p) { if (p.at > now - 60000) sum += p[field]; });
    return sum;
  }
  function latest(id, field) {
    var points = hist[id] || [];
    for (var i = points.length - 1; i >= 0; i--) if (points[i][field] !== null) return points[i];
    return null;
  }
  function probe(id, button) {
    button.disabled = true; button.textContent = 'probing…';
    fetch('status/probe', { method: 'POST', headers: Object.assign({ 'content-type': 'application/json' }, auth()), body: JSON.stringify({ deployment: id }) })
      .then(function (r) { return r.json(); })
      .then(function (result) { button.textContent = result.healthy ? 'ok ' + result.latencyMs + ' ms' : 'failed'; })
      .catch(function () { button.textContent = 'failed'; })
      .finally(function () { setTimeout(function () { button.disabled = false; button.textContent = 'probe now'; }, 2000); });
  }
  function build(providers) {
    rows.replaceChildren(); rowOf = {};
    providers.forEach(function (p) {
      var head = el('tr', 'provider'), cell = el('td');
      cell.colSpan = 11; cell.appendChild(el('span', 'pname', p.name)); cell.appendChild(el('span', 'sub pstate'));
      head.appendChild(cell); head.dataset.provider = p.name; rows.appendChild(head); rowOf['provider:' + p.name] = head;
      p.deployments.forEach(function (d) {
        var row = el('tr', 'deployment'), name = el('td');
        name.appendChild(el('div', 'name', d.id));
        name.appendChild(el('div', 'models', d.providerModel + (d.key ? ' · key ' + d.key : '')));
        row.appendChild(name);
        ['state', 'num latency', 'num ttft', 'num req', 'num err', 'num headroom', 'num spend', 'error', 'probe'].forEach(function (c) { row.appendChild(el('td', c)); });
        var button = el('button', 'probe-now', 'probe now');
        button.type = 'button'; button.addEventListener('click', function () { probe(d.id, button); });
        var last = el('td'); last.appendChild(button); row.appendChild(last);
        rows.appendChild(row); rowOf[d.id] = row;
      });
    });
  }
  function render(update) {
    var now = update.now;
    var providers = Object.keys(update.providers).map(function (n) { return update.providers[n]; });
    providers.sort(function (a, b) { return a.priority - b.priority || (a.name < b.name ? -1 : 1); });
    var ids = providers.map(function (p) { return p.name + ':' + p.deployments.map(function (d) { return d.id; }).join(','); }).join(';');
    if (ids !== rowIds) { build(providers); rowIds = ids; }
    var serving = 0, total = 0;
    providers.forEach(function (p) {
      var head = rowOf['provider:' + p.name];
      var state = p.state === 'closed' ? 'healthy' : p.state === 'degraded' ? 'degraded' : 'down';
      var spend = update.spendUsd && update.spendUsd[p.name] ? ' · $' + update.spendUsd[p.name].toFixed(4) + ' spent' : '';
      head.querySelector('.pstate').textContent = state + ' · ' + p.models.join(', ') + spend;
      head.querySelector('.pstate').className = 'sub pstate';
      p.deployments.forEach(function (d) {
        var row = rowOf[d.id], cells = row.children, word = condition(d, update.failures && update.failures[d.id], now);
        total++; if (word === 'healthy') serving++;
        var pill = el('span', 'pill ' + word, words[word]);
        cells[1].replaceChildren(pill);
        var lat = latest(d.id, 'latencyP50Ms'), ttft = latest(d.id, 'firstTokenP50Ms'), points = (hist[d.id] || []).slice(-30);
        cells[2].replaceChildren(document.createTextNode(lat ? ms(lat.latencyP50Ms) + ' / ' + ms(lat.latencyP95Ms) + ' ms' : '—'), spark(points.map(function (p) { return p.latencyP50Ms; })));
        cells[3].replaceChildren(document.createTextNode(ttft ? ms(ttft.firstTokenP50Ms) + ' / ' + ms(ttft.firstTokenP95Ms) + ' ms' : '—'), spark(points.map(function (p) { return p.firstTokenP50Ms; })));
        cells[4].textContent = String(recent(d.id, now, 'requests'));
        cells[5].textContent = String(recent(d.id, now, 'errors'));
        cells[6].textContent = Math.round(d.headroom * 100) + '%';
        cells[7].textContent = d.spendUsd ? '$' + d.spendUsd.toFixed(4) : '—';
        cells[8].textContent = d.lastError || '—';
        cells[8].title = d.lastError || '';
        cells[9].textContent = d.nextProbeAt ? 'in ' + Math.max(0, Math.ceil((d.nextProbeAt - now) / 1000)) + ' s' : '—';
      });
    });
    var healthy = providers.filter(function (p) { return p.healthy; }).length;
    $('summary').textContent = healthy + ' of ' + providers.length + ' providers healthy · ' + serving + ' of ' + total +
      ' deployments in service' + (update.state && update.state.shared ? ' · state shared' + (update.state.connected ? '' : ' (unreachable)') : '') +
      (update.historyScope === 'fleet' ? ' · history of every replica' : '') +
      (update.status === 'draining' ? ' · draining' : '');
    drawChart(providers, update.stepMs);
  }
  function drawChart(providers, stepMs) {
    if (typeof uPlot === 'undefined') return;
    var steps = {};
    Object.keys(hist).forEach(function (id) { hist[id].forEach(function (p) { steps[p.at] = true; }); });
    var xs = Object.keys(steps).map(Number).sort(function (a, b) { return a - b; });
    var perProvider = providers.map(function (p) {
      return xs.map(function (at) {
        var sum = 0;
        p.deployments.forEach(function (d) { (hist[d.id] || []).forEach(function (point) { if (point.at === at) sum += point.requests; }); });
        return sum;
      });
    });
    var totals = xs.map(function (_, i) { return perProvider.reduce(function (s, v) { return s + v[i]; }, 0); });
    var stacked = [], running = xs.map(function () { return 0; });
    perProvider.forEach(function (values) {
      running = running.map(function (r, i) { return r + (totals[i] ? 100 * values[i] / totals[i] : 0); });
      stacked.push(running.slice());
    });
    // Each step is drawn to its end, so the step in progress (or a single one) shows as a band.
    var times = xs.map(function (x) { return x / 1000; });
    if (times.length) times.push(times[times.length - 1] + stepMs / 1000);
    var bands = stacked.slice().reverse().map(function (values) { return values.length ? values.concat([values[values.length - 1]]) : values; });
    var data = [times].concat(bands);
    window.switchboardTraffic = { at: xs, providers: providers.map(function (p) { return p.name; }), requests: perProvider, marks: marks.map(function (m) { return { at: m.at, kind: m.kind }; }) };
    var names = providers.map(function (p) { return p.name; }).reverse();
    var key = names.join(',');
    if (!chart || chart.key !== key) {
      if (chart) chart.destroy();
      var series = [{}].concat(names.map(function (name, i) {
        var colour = colours[(names.length - 1 - i) % colours.length];
        return { label: name, stroke: colour, fill: colour + '55', points: { show: false } };
      }));
      chart = new uPlot({ width: Math.max(300, $('chart').clientWidth), height: 180, series: series,
        scales: { x: { time: true, range: function (_, min, max) { return [Math.min(min, max - 120), max]; } }, y: { range: [0, 100] } }, axes: [{}, { values: function (_, v) { return v.map(function (x) { return x + '%'; }); } }],
        hooks: { draw: [function (u) {
          var ctx = u.ctx; ctx.save(); ctx.lineWidth = 2;
          marks.forEach(function (m) {
            var x = u.valToPos(m.at / 1000, 'x', true);
            if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) return;
            ctx.strokeStyle = m.kind === 'trip' ? '#dc2626' : '#16a34a';
            ctx.beginPath(); ctx.moveTo(x, u.bbox.top); ctx.lineTo(x, u.bbox.top + u.bbox.height); ctx.stroke();
          });
          ctx.restore();
        }] } }, data, $('chart'));
      chart.key = key;
    } else {
      chart.setData(data);
    }
  }
  function auth() {
    var key = sessionStorage.getItem(keyName);
    return key ? { authorization: 'Bearer ' + key } : {};
  }
  function setLive(text, className) { live.textContent = text; live.className = className; }
  function connect() {
    var received = false;
    fetch('status/stream', { headers: auth(), cache: 'no-store' }).then(function (response) {
      if (response.status === 401) {
        setLive('a gateway key is needed', 'down');
        $('keyform').hidden = false; $('key').focus();
        return;
      }
      if (!response.ok || !response.body) throw new Error('HTTP ' + response.status);
      $('keyform').hidden = true;
      var reader = response.body.getReader(), decoder = new TextDecoder(), buffer = '';
      function pump() {
        return reader.read().then(function (chunk) {
          if (chunk.done) throw new Error('the stream ended');
          buffer += decoder.decode(chunk.value, { stream: true });
          var end;
          while ((end = buffer.indexOf('\\n\\n')) >= 0) {
            var block = buffer.slice(0, end), data = block.indexOf('data: ');
            buffer = buffer.slice(end + 2);
            if (data < 0) continue;
            var update = JSON.parse(block.slice(data + 6));
            merge(update); render(update); received = true;
            setLive('live · ' + new Date().toLocaleTimeString(), 'on');
          }
          return pump();
        });
      }
      return pump();
    }).catch(function (error) {
      setLive((received ? 'disconnected' : 'gateway unreachable') + ' (' + error.message + ') · retrying', 'down');
      setTimeout(connect, 2000);
    });
  }
  $('keyform').addEventListener('submit', function (event) {
    event.preventDefault();
    sessionStorage.setItem(keyName, $('key').value.trim());
    $('key').value = '';
    setLive('connecting…', '');
    connect();
  });
  connect();
})();
</script>
</body>
</html>
`;
