/**
 * The page's own script (inlined by render.ts after Chart.js): builds the
 * cards from the summary JSON (data.ts), draws the charts with Chart.js
 * and the tables with the DOM (text only, never markup from the data), and
 * on the live page fetches the data route again every few seconds.
 *
 * Plain ES2017 in a string; it is not compiled. Keep it free of backticks
 * and of dollar-brace, which would end or interpolate this template.
 */
export const PAGE_SCRIPT = String.raw`
(function () {
  'use strict';
  var cfg = JSON.parse(document.getElementById('pof-config').textContent);
  /* Okabe-Ito colours throughout: a palette that stays distinct under the common colour-vision deficiencies. */
  var FIXED = {
    'Linux': '#E69F00', 'Windows': '#0072B2', 'macOS': '#CC79A7', 'macOS or iOS': '#CC79A7', 'iOS': '#D55E00',
    'Android': '#009E73', 'Linux or Android': '#009E73', 'FreeBSD': '#56B4E9', 'Tools and scanners': '#000000',
    'Unknown': '#999999', 'Other': '#C8C8C8'
  };
  var VERDICT = { consistent: '#009E73', mismatch: '#D55E00', unknown: '#999999' };
  var CLIENTS = '#0072B2', SERVERS = '#E69F00';
  /* Other names take the colours the common families leave free first. */
  var CYCLE = ['#F0E442', '#56B4E9', '#D55E00', '#009E73', '#0072B2', '#E69F00', '#CC79A7', '#000000'];
  var assigned = {}, nextColour = 0;
  function colour(name) {
    if (FIXED[name]) return FIXED[name];
    if (!assigned[name]) { assigned[name] = CYCLE[nextColour % CYCLE.length]; nextColour++; }
    return assigned[name];
  }

  var hasChart = typeof window.Chart === 'function';
  if (hasChart) {
    Chart.defaults.font.size = 13;
    Chart.defaults.color = '#1b1b1b';
    Chart.defaults.animation = false;
    Chart.defaults.maintainAspectRatio = false;
    Chart.defaults.plugins.legend.labels.boxWidth = 12;
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function num(n) { return Math.round(n).toLocaleString('en-US'); }
  function pct(n, total) { return total > 0 ? (100 * n / total).toFixed(1) + '%' : ''; }
  function pad(n) { return n < 10 ? '0' + n : String(n); }
  function utc(ts, withDate) {
    var d = new Date(ts * 1000);
    var t = pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + ':' + pad(d.getUTCSeconds());
    return withDate ? d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) + ' ' + t : t;
  }
  function span(s) {
    if (s < 60) return s.toFixed(s < 10 && s % 1 ? 1 : 0) + ' s';
    if (s < 3600) return (s / 60).toFixed(s % 60 ? 1 : 0) + ' min';
    if (s < 86400) return (s / 3600).toFixed(s % 3600 ? 1 : 0) + ' h';
    return (s / 86400).toFixed(1) + ' days';
  }
  function short(label) { label = String(label); return label.length > 38 ? label.slice(0, 37) + '\u2026' : label; }

  var main = document.getElementById('cards');
  var cards = {};
  function card(id, title, wide) {
    if (cards[id]) return cards[id];
    var s = el('section', 'card' + (wide ? ' wide' : ''));
    s.id = 'card-' + id;
    s.appendChild(el('h2', null, title));
    var c = { section: s, chartBox: null, canvas: null, chart: null, empty: el('p', 'empty'), rest: el('div') };
    s.appendChild(c.empty);
    s.appendChild(c.rest);
    main.appendChild(s);
    cards[id] = c;
    return c;
  }

  /* Draws (or redraws in place) a bar chart in card c; spec: {labels, datasets, horizontal, stacked, x, y, tall, aria}. */
  function bars(c, spec) {
    if (!hasChart) return;
    if (!c.canvas) {
      c.chartBox = el('div', 'chart' + (spec.tall ? ' tall' : ''));
      c.canvas = el('canvas');
      c.canvas.setAttribute('role', 'img');
      c.chartBox.appendChild(c.canvas);
      c.section.insertBefore(c.chartBox, c.empty);
    }
    c.canvas.setAttribute('aria-label', spec.aria);
    c.chartBox.hidden = false;
    /* Horizontal bars get room for their labels: a line each. */
    if (spec.horizontal) c.chartBox.style.height = Math.max(150, spec.labels.length * 24 + 80) + 'px';
    if (c.chart) {
      c.chart.data.labels = spec.labels;
      c.chart.data.datasets = spec.datasets;
      c.chart.update('none');
      return;
    }
    var catAxis = {
      stacked: !!spec.stacked,
      ticks: { autoSkip: !spec.horizontal, callback: function (v) { return short(this.getLabelForValue(v)); } },
      title: { display: !!spec.x, text: spec.x || '' },
      grid: { display: false }
    };
    var valAxis = { stacked: !!spec.stacked, beginAtZero: true, ticks: { precision: 0 }, title: { display: !!spec.y, text: spec.y || '' } };
    c.chart = new Chart(c.canvas, {
      type: 'bar',
      data: { labels: spec.labels, datasets: spec.datasets },
      options: {
        indexAxis: spec.horizontal ? 'y' : 'x',
        responsive: true,
        scales: spec.horizontal ? { y: catAxis, x: valAxis } : { x: catAxis, y: valAxis },
        plugins: { legend: { display: spec.datasets.length > 1, position: 'bottom' } }
      }
    });
  }
  function noChart(c, text) {
    c.empty.textContent = text;
    c.empty.hidden = false;
    if (c.chartBox) c.chartBox.hidden = true;
  }
  function shown(c) { c.empty.hidden = true; }

  /* A table: heads [text or {text, n}], rows of cells [text or {text, cls, swatch}]. */
  function table(heads, rows) {
    var t = el('table'), tr = el('tr');
    heads.forEach(function (h) {
      var th = el('th', h.n ? 'n' : null, h.text !== undefined ? h.text : h);
      th.scope = 'col';
      tr.appendChild(th);
    });
    var thead = el('thead'); thead.appendChild(tr); t.appendChild(thead);
    var tb = el('tbody');
    rows.forEach(function (r) {
      var row = el('tr');
      r.forEach(function (cell) {
        var o = cell !== null && typeof cell === 'object' ? cell : { text: cell };
        var td = el('td', o.cls || null);
        if (o.swatch) { var sw = el('span', 'swatch'); sw.style.background = o.swatch; td.appendChild(sw); }
        td.appendChild(document.createTextNode(o.text === null || o.text === undefined ? '\u2014' : String(o.text)));
        row.appendChild(td);
      });
      tb.appendChild(row);
    });
    t.appendChild(tb);
    return t;
  }
  function setRest(c, nodes, collapsed) {
    c.rest.textContent = '';
    if (!nodes.length) return;
    if (collapsed) {
      var d = el('details');
      d.appendChild(el('summary', null, 'Numbers'));
      nodes.forEach(function (n) { d.appendChild(n); });
      c.rest.appendChild(d);
    } else nodes.forEach(function (n) { c.rest.appendChild(n); });
  }
  function sum(list) { return list.reduce(function (a, x) { return a + x.count; }, 0); }
  function where() { return cfg.live ? 'in the last ' + span(cfg.windowS) : 'in this capture'; }

  function renderHeader(d) {
    document.getElementById('span').textContent = d.first === null ? 'no observations yet' :
      utc(d.first, true) + ' \u2013 ' + utc(d.last, true) + ' UTC (' + span(Math.max(0, d.last - d.first)) + ')';
    var ul = document.getElementById('totals');
    ul.textContent = '';
    var t = d.totals;
    [['Connections (client SYNs)', num(t.syn)],
     ['Distinct clients', (t.clientsCapped ? 'at least ' : '') + num(t.clients)],
     ['Server SYN+ACKs', num(t.synAck)],
     ['HTTP requests', num(t.http)],
     ['TLS hellos', num(t.tls)],
     ['Verdicts', num(t.verdicts)],
     ['Observations', num(t.observations)]].forEach(function (p) {
      var li = el('li'); li.appendChild(el('b', null, p[1])); li.appendChild(document.createTextNode(p[0])); ul.appendChild(li);
    });
    document.getElementById('approx').hidden = !d.approximate;
  }

  function renderOs(d) {
    var c = card('os', 'Operating systems (client SYNs, by TCP)');
    var fams = d.osFamilies, total = sum(fams);
    if (!fams.length) { noChart(c, 'No client SYNs ' + where() + '.'); setRest(c, []); return; }
    shown(c);
    bars(c, {
      horizontal: true,
      labels: fams.map(function (f) { return f.name; }),
      datasets: [{ label: 'Connections', data: fams.map(function (f) { return f.count; }), backgroundColor: fams.map(function (f) { return colour(f.name); }), borderColor: '#333', borderWidth: 1 }],
      y: 'Connections', aria: 'Bar chart: client SYNs by OS family. The table below has the numbers.'
    });
    setRest(c, [table(['OS family', { text: 'Connections', n: true }, { text: 'Share', n: true }], fams.map(function (f) {
      return [{ text: f.name, swatch: colour(f.name) }, { text: num(f.count), cls: 'n' }, { text: pct(f.count, total), cls: 'n' }];
    }))]);
  }

  function renderTimeline(d) {
    var c = card('timeline', 'Connections over time, by OS', true);
    var tl = d.timeline, series = tl.series;
    var n = series.length ? series[0].counts.length : 0;
    if (!n) { noChart(c, 'No client SYNs ' + where() + '.'); return; }
    shown(c);
    var withDate = tl.bucketS * n > 86400 || tl.bucketS >= 86400;
    var labels = [];
    for (var i = 0; i < n; i++) labels.push(utc(tl.start + i * tl.bucketS, withDate));
    bars(c, {
      stacked: true, tall: true, labels: labels,
      datasets: series.map(function (s) { return { label: s.name, data: s.counts, backgroundColor: colour(s.name), borderColor: '#333', borderWidth: 0.5 }; }),
      x: 'Time (UTC), one bar per ' + span(tl.bucketS), y: 'Connections',
      aria: 'Stacked bar chart: client SYNs per ' + span(tl.bucketS) + ' by OS family.'
    });
  }

  function renderTls(d) {
    var c = card('tls', 'TLS clients');
    var list = d.tls.clients.length ? d.tls.clients : d.tls.ja4;
    if (!list.length) { noChart(c, 'No TLS data ' + where() + '.'); setRest(c, []); return; }
    shown(c);
    var byJa4 = !d.tls.clients.length;
    bars(c, {
      horizontal: true, labels: list.map(function (x) { return x.name; }),
      datasets: [{ label: byJa4 ? 'ClientHellos by JA4' : 'ClientHellos', data: list.map(function (x) { return x.count; }), backgroundColor: CLIENTS }],
      y: 'ClientHellos', aria: 'Bar chart: TLS ClientHellos by ' + (byJa4 ? 'JA4 fingerprint' : 'client') + '.'
    });
    var total = sum(list), nodes = [];
    if (!byJa4) nodes.push(table(['Client', { text: 'Hellos', n: true }, { text: 'Share', n: true }], d.tls.clients.map(function (x) { return [x.name, { text: num(x.count), cls: 'n' }, { text: pct(x.count, total), cls: 'n' }]; })));
    var ja4 = table(['JA4', { text: 'Hellos', n: true }], d.tls.ja4.map(function (x) { return [{ text: x.name, cls: 'sig' }, { text: num(x.count), cls: 'n' }]; }));
    if (byJa4) nodes.push(ja4);
    else { var det = el('details'); det.appendChild(el('summary', null, 'JA4 fingerprints')); det.appendChild(ja4); nodes.push(det); }
    setRest(c, nodes);
  }

  function renderVerdicts(d) {
    var c = card('verdicts', 'Truth verdicts and top mismatches');
    var v = d.verdicts;
    if (!v.length) { noChart(c, 'No verdicts ' + where() + ' (one comes with each HTTP request that carries a User-Agent).'); setRest(c, []); return; }
    shown(c);
    bars(c, {
      horizontal: true, labels: v.map(function (x) { return x.name; }),
      datasets: [{ label: 'Verdicts', data: v.map(function (x) { return x.count; }), backgroundColor: v.map(function (x) { return VERDICT[x.name] || '#56B4E9'; }) }],
      y: 'Verdicts', aria: 'Bar chart: verdicts (consistent, mismatch, unknown).'
    });
    var m = d.mismatches;
    setRest(c, m.length ? [el('h3', null, 'Top mismatches'), table([{ text: 'Count', n: true }, 'Reasons', 'User-Agent says', 'TCP says', 'TLS says'], m.map(function (x) {
      return [{ text: num(x.count), cls: 'n' }, x.reasons, x.uaOs, x.os, x.tls];
    }))] : [el('p', 'empty', 'No mismatches ' + where() + '.')]);
  }

  function renderHops(d) {
    var c = card('hops', 'Hop distances');
    var a = d.hops.clients, b = d.hops.servers, n = Math.max(a.length, b.length);
    if (!n) { noChart(c, 'No SYNs ' + where() + '.'); return; }
    shown(c);
    var labels = [];
    for (var i = 0; i < n; i++) labels.push(String(i));
    function full(x) { var r = x.slice(); while (r.length < n) r.push(0); return r; }
    bars(c, {
      labels: labels,
      datasets: [{ label: 'Clients (SYN)', data: full(a), backgroundColor: CLIENTS }, { label: 'Servers (SYN+ACK)', data: full(b), backgroundColor: SERVERS }],
      x: 'Hops (initial TTL minus the TTL seen)', y: 'SYNs', aria: 'Bar chart: hop distances of clients and servers.'
    });
  }

  function linkName(l) { return (l.link || 'unnamed') + ' (MTU ' + l.mtu + ')'; }
  function renderLinks(d) {
    var c = card('links', 'Link types (MTU)');
    var l = d.links;
    if (!l.length) { noChart(c, 'No MSS options ' + where() + '.'); setRest(c, []); return; }
    shown(c);
    bars(c, {
      horizontal: true, stacked: true, labels: l.map(linkName),
      datasets: [{ label: 'Clients', data: l.map(function (x) { return x.clients; }), backgroundColor: CLIENTS }, { label: 'Servers', data: l.map(function (x) { return x.servers; }), backgroundColor: SERVERS }],
      y: 'SYNs', aria: 'Bar chart: link types from the MTU of clients and servers.'
    });
    setRest(c, [table(['Link', { text: 'MTU', n: true }, { text: 'Clients', n: true }, { text: 'Servers', n: true }], l.map(function (x) {
      return [x.link, { text: x.mtu, cls: 'n' }, { text: num(x.clients), cls: 'n' }, { text: num(x.servers), cls: 'n' }];
    }))], true);
  }

  function renderStacks(d) {
    var c = card('stacks', 'Server stacks (SYN+ACK)');
    var s = d.serverStacks;
    if (!s.length) { noChart(c, 'No SYN+ACKs ' + where() + '.'); setRest(c, []); return; }
    shown(c);
    bars(c, {
      horizontal: true, labels: s.map(function (x) { return x.name; }),
      datasets: [{ label: 'SYN+ACKs', data: s.map(function (x) { return x.count; }), backgroundColor: SERVERS }],
      y: 'SYN+ACKs', aria: 'Bar chart: server TCP stacks from SYN+ACKs.'
    });
    setRest(c, [table(['Server stack', { text: 'SYN+ACKs', n: true }], s.map(function (x) { return [x.name, { text: num(x.count), cls: 'n' }]; }))], true);
  }

  function renderRecent(d) {
    if (!cfg.live) return;
    var c = card('recent', 'Recent mismatches', true);
    var r = d.recentMismatches;
    if (!r.length) { c.empty.textContent = 'No mismatches ' + where() + '.'; c.empty.hidden = false; setRest(c, []); return; }
    shown(c);
    setRest(c, [table(['Time (UTC)', 'Client', 'Server', 'User-Agent says', 'TCP says', 'TLS says', 'App', 'Reasons'], r.map(function (x) {
      return [utc(x.ts, false), x.cli, x.srv + '/' + x.srvPort, x.uaOs, x.os, x.tls, x.app, x.reasons];
    }))]);
  }

  function renderSigs(d) {
    var c = card('sigs', 'Top signatures (unknown ones first: material for new signatures)', true);
    var s = d.signatures;
    if (!s.length) { c.empty.textContent = 'No TCP signatures ' + where() + '.'; c.empty.hidden = false; setRest(c, []); return; }
    shown(c);
    setRest(c, [table([{ text: 'Count', n: true }, 'Packet', 'Matched', 'raw_sig'], s.map(function (x) {
      return [{ text: num(x.count), cls: 'n' }, x.mod, x.label === null ? { text: 'unknown', cls: 'unknown' } : x.label, { text: x.raw, cls: 'sig' }];
    }))]);
  }

  var renders = 0;
  function render(d) {
    renderHeader(d);
    renderOs(d);
    renderTimeline(d);
    renderTls(d);
    renderVerdicts(d);
    renderHops(d);
    renderLinks(d);
    renderStacks(d);
    renderRecent(d);
    renderSigs(d);
    renders++;
    document.body.setAttribute('data-renders', String(renders));
  }

  var status = document.getElementById('status');
  if (!hasChart) { status.textContent = 'The chart library did not load: tables only.'; status.className = 'status bad'; }
  if (!cfg.live) {
    render(JSON.parse(document.getElementById('pof-data').textContent));
    return;
  }
  function poll() {
    fetch(cfg.dataPath, { cache: 'no-store', credentials: 'same-origin' })
      .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
      .then(function (d) {
        render(d);
        status.textContent = 'Live: the last ' + span(cfg.windowS) + ', updated ' + utc(Date.now() / 1000, false) + ' UTC';
        status.className = 'status';
      })
      .catch(function (e) {
        status.textContent = 'Not updating (' + e.message + '); trying again';
        status.className = 'status bad';
      })
      .then(function () { setTimeout(poll, cfg.refreshMs); });
  }
  poll();
})();
`;
