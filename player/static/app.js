'use strict';
// The player: a recording through the API (/api/info, /api/frames,
// /frame/N.jpg), or a live source (/stream.mjpg, /api/info with live set).
// A recording's /api/info is export.Summary (file, count, ...); a live
// source's has name.
(async function () {
  const $ = (id) => document.getElementById(id);
  const q = location.search;
  const info = await (await fetch('api/info' + q)).json();
  const name = info.file || info.name;
  $('title').textContent = name || 'imgstream';
  document.title = (name || 'imgstream') + ' — imgstream';
  if (info.live) return live(info);

  const frames = await (await fetch('api/frames' + q)).json();
  const n = frames.length;
  const view = $('view'), seek = $('seek'), play = $('play'), status = $('status');
  seek.max = Math.max(0, n - 1);
  const seekt = $('seekt');
  seekt.max = Math.max(0, Math.round((info.duration_us || 0) / 1000));
  let cur = 0, playing = false, timer = 0, speed = 1;

  if (info.damage) {
    const d = $('damage');
    d.hidden = false;
    d.textContent = `Damaged at frame ${info.damage.frame}, offset ${info.damage.offset}: ${info.damage.error}. Playing the ${n} good frames.`;
  }
  const us = (t) => (t / 1e6).toFixed(3) + ' s';
  const dl = $('info');
  const rows = [
    ['version', info.version], ['frames', n], ['duration', us(info.duration_us)],
    ['fps', `${info.fps.toFixed(2)} mean, ${info.min_fps.toFixed(2)} min, ${info.max_fps.toFixed(2)} max`],
    ['formats', Object.entries(info.formats).map(([k, v]) => `${v} × ${k}`).join(', ')],
    ['size', info.size + ' bytes'],
  ];
  if (info.damage) rows.push(['damage', `frame ${info.damage.frame} at offset ${info.damage.offset}`]);
  for (const [k, v] of rows) {
    const dt = document.createElement('dt'); dt.textContent = k;
    const dd = document.createElement('dd'); dd.textContent = v;
    dl.append(dt, dd);
  }

  const preload = new Map();
  const url = (i) => 'frame/' + i + '.jpg' + q;
  function warm(i) {
    for (let k = i; k < Math.min(n, i + 8); k++) {
      if (!preload.has(k)) { const im = new Image(); im.src = url(k); preload.set(k, im); }
    }
    for (const k of preload.keys()) if (k < i - 8) preload.delete(k);
  }
  function show(i) {
    if (n === 0) { status.textContent = 'no frames'; return; }
    cur = Math.max(0, Math.min(n - 1, i));
    const f = frames[cur];
    view.src = url(cur);
    view.dataset.frame = cur;
    seek.value = cur;
    seekt.value = Math.round(f.time_us / 1000);
    $('png').href = 'frame/' + cur + '.png' + q;
    status.textContent = `frame ${cur + 1} / ${n} · ${us(f.time_us)} · ${f.format} ${f.w}×${f.h} · ${f.size} bytes`;
    drawChart();
    warm(cur + 1);
  }
  function schedule() {
    clearTimeout(timer);
    if (!playing) return;
    let next = cur + 1;
    if (next >= n) {
      if (!$('loop').checked) { setPlaying(false); return; }
      next = 0;
    }
    const wait = (next === 0 ? 100000 : frames[next].interval_us) / 1000 / speed;
    timer = setTimeout(() => { show(next); schedule(); }, wait);
  }
  function setPlaying(p) {
    playing = p && n > 1;
    play.textContent = playing ? '⏸' : '▶';
    play.setAttribute('aria-label', playing ? 'pause' : 'play');
    schedule();
  }
  play.onclick = () => setPlaying(!playing);
  $('prev').onclick = () => { setPlaying(false); show(cur - 1); };
  $('next').onclick = () => { setPlaying(false); show(cur + 1); };
  seek.oninput = () => { show(+seek.value); schedule(); };
  // By time: the last frame at or before the time asked.
  seekt.oninput = () => {
    const t = +seekt.value * 1000;
    let lo = 0, hi = n - 1;
    while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (frames[mid].time_us <= t) lo = mid; else hi = mid - 1; }
    show(lo); schedule();
  };
  $('speed').onchange = (e) => { speed = +e.target.value; schedule(); };
  document.addEventListener('keydown', (e) => {
    if (e.target.tagName === 'SELECT' || e.target.tagName === 'INPUT' && e.target.type !== 'range') return;
    if (e.key === ' ') { e.preventDefault(); setPlaying(!playing); }
    else if (e.key === 'ArrowRight') { e.preventDefault(); setPlaying(false); show(cur + 1); }
    else if (e.key === 'ArrowLeft') { e.preventDefault(); setPlaying(false); show(cur - 1); }
    else if (e.key === 'Home') { show(0); }
    else if (e.key === 'End') { show(n - 1); }
  });

  // The timing chart: each frame's interval, scaled to the largest.
  const chart = $('chart');
  const maxGap = Math.max(1, ...frames.map((f) => f.interval_us));
  function drawChart() {
    const w = chart.clientWidth || 600, h = chart.height, ctx = chart.getContext('2d');
    if (chart.width !== w) chart.width = w;
    ctx.clearRect(0, 0, w, h);
    const bw = w / Math.max(1, n);
    ctx.fillStyle = '#4da3ff';
    for (let i = 1; i < n; i++) {
      const bh = Math.max(1, frames[i].interval_us / maxGap * (h - 14));
      ctx.fillRect(i * bw, h - bh, Math.max(1, bw - (bw > 3 ? 1 : 0)), bh);
    }
    ctx.fillStyle = '#ffcc00';
    ctx.fillRect(cur * bw, 0, Math.max(2, bw), h);
    ctx.fillStyle = '#999';
    ctx.font = '11px system-ui';
    ctx.fillText('max ' + (maxGap / 1000).toFixed(0) + ' ms', 4, 11);
    chart.dataset.drawn = n;
  }
  chart.tabIndex = 0;
  chart.onclick = (e) => {
    const r = chart.getBoundingClientRect();
    show(Math.floor((e.clientX - r.left) / r.width * n));
    schedule();
  };
  window.onresize = drawChart;
  $('avi').href = 'export.avi' + q;
  $('gif').href = 'export.gif' + q;
  show(0);
  setPlaying(true);

  function live(info) {
    $('controls').hidden = true;
    $('livecontrols').hidden = false;
    document.querySelectorAll('section').forEach((s) => { s.hidden = true; });
    $('view').src = 'stream.mjpg' + q;
    $('snapshot').href = 'snapshot.jpg' + q;
    if (info.trigger) {
      $('trigger').hidden = false;
      $('trigger').onclick = () => fetch('trigger' + q, { method: 'POST' });
    }
    if (info.events) watchEvents(new EventSource('api/events' + q));
    const tick = async () => {
      const i = await (await fetch('api/info' + q)).json();
      let s = `live · ${i.fps_in.toFixed(1)} fps in · ${i.viewers} viewer${i.viewers === 1 ? '' : 's'}`;
      const r = i.recorder;
      if (r) s += r.recording ? ` · ● recording ${r.clip}` : ' · not recording';
      $('status').textContent = s;
    };
    tick();
    setInterval(tick, 1000);
  }

  // watchEvents shows the recorder's events (/api/events, Server-Sent
  // Events of JSON lines): the last one, and motion between motion_start
  // and motion_end.
  function watchEvents(es) {
    es.onmessage = (m) => {
      let e;
      try { e = JSON.parse(m.data); } catch (err) { return; }
      if (e.event === 'motion_start') $('motion').hidden = false;
      if (e.event === 'motion_end') $('motion').hidden = true;
      const at = e.time ? new Date(e.time).toLocaleTimeString() : '';
      $('lastevent').textContent = `last event: ${e.event} ${at}${e.path ? ' ' + e.path : ''}${e.error ? ' (' + e.error + ')' : ''}`;
    };
  }
})();
