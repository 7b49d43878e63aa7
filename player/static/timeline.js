'use strict';
// The timeline of a folder: its clips on a clock axis, a row a camera,
// from /api/timeline. A click plays from that moment, across clips; a
// drag picks a range for /export.avi and /export.gif.
(function () {
  const $ = (id) => document.getElementById(id);
  const auth = location.search; // ?token= rides along, as on the other pages
  const st = {
    tl: null,         // /api/timeline's answer for the day shown
    from: 0, to: 0,   // the day, ms
    vfrom: 0, vto: 0, // the window shown, ms
    frames: new Map(),// clip id -> its /api/frames
    play: null,       // {clip, i, timer}
    paused: false,
    cursor: null,     // ms of the frame shown
  };
  const view = $('view'), status = $('status');

  const q = (s) => (auth ? auth + '&' : '?') + s;
  const iso = (ms) => new Date(ms).toISOString();
  const clock = (ms) => new Date(ms).toLocaleTimeString([], { hour12: false });
  const span = (ms) => {
    const s = Math.round(ms / 1000);
    if (s < 60) return s + ' s';
    if (s < 3600) return Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
    return Math.floor(s / 3600) + ' h ' + Math.floor(s % 3600 / 60) + ' min';
  };
  const dayStart = (d) => { const [y, m, dd] = d.split('-').map(Number); return new Date(y, m - 1, dd).getTime(); };
  const dayName = (ms) => { const d = new Date(ms); return d.getFullYear() + '-' + String(d.getMonth() + 1).padStart(2, '0') + '-' + String(d.getDate()).padStart(2, '0'); };

  async function load(from, to) {
    const url = from === undefined ? 'api/timeline' + auth : 'api/timeline' + q('from=' + encodeURIComponent(iso(from)) + '&to=' + encodeURIComponent(iso(to)));
    const res = await fetch(url);
    if (!res.ok) { status.textContent = await res.text(); return; }
    const tl = await res.json();
    for (const c of tl.clips) { c.s = Date.parse(c.start); c.e = Date.parse(c.end); }
    st.tl = tl;
    st.from = Date.parse(tl.from); st.to = Date.parse(tl.to);
    const sel = $('day');
    sel.replaceChildren();
    const days = tl.days.slice();
    const shown = dayName(st.from);
    if (!days.includes(shown)) days.push(shown), days.sort();
    for (const d of days) {
      const o = document.createElement('option');
      o.value = d; o.textContent = d; o.selected = d === shown;
      sel.append(o);
    }
    fit();
    if (!st.play) status.textContent = tl.clips.length ? tl.clips.length + ' clips: click a row to play' : 'no recording this day';
  }

  // fit shows the day's clips, with a margin; whole the whole day.
  function fit() {
    const cs = st.tl.clips;
    if (!cs.length) return whole();
    let a = Math.max(Math.min(...cs.map((c) => c.s)), st.from), b = Math.min(Math.max(...cs.map((c) => c.e)), st.to);
    const pad = Math.max((b - a) * 0.05, 5000);
    st.vfrom = Math.max(a - pad, st.from); st.vto = Math.min(b + pad, st.to);
    draw();
  }
  function whole() { st.vfrom = st.from; st.vto = st.to; draw(); }

  const pct = (ms) => ((ms - st.vfrom) / (st.vto - st.vfrom)) * 100;

  function draw() {
    const tl = st.tl;
    const axis = $('axis');
    axis.replaceChildren();
    const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600].map((s) => s * 1000);
    const step = steps.find((s) => (st.vto - st.vfrom) / s <= 8) || 21600000;
    const off = new Date(st.vfrom).getTimezoneOffset() * 60000;
    for (let t = Math.ceil((st.vfrom - off) / step) * step + off; t <= st.vto; t += step) {
      const s = document.createElement('span');
      s.style.left = pct(t) + '%';
      s.textContent = step < 60000 ? clock(t) : clock(t).slice(0, 5);
      axis.append(s);
    }
    const rows = $('rows');
    rows.replaceChildren();
    const cams = tl.cameras.length ? tl.cameras : [''];
    for (const cam of cams) {
      const row = document.createElement('div');
      row.className = 'row';
      const label = document.createElement('div');
      label.className = 'label';
      label.textContent = cam || 'camera';
      label.title = cam;
      const track = document.createElement('div');
      track.className = 'track';
      track.dataset.camera = cam;
      track.dataset.from = st.vfrom;
      track.dataset.to = st.vto;
      for (const c of tl.clips) {
        if (c.camera !== cam || c.e < st.vfrom || c.s > st.vto) continue;
        const bar = document.createElement('div');
        bar.className = 'clip' + (c.trigger === 'motion' ? ' motion' : '');
        bar.style.left = pct(c.s) + '%';
        bar.style.width = Math.max(pct(c.e) - pct(c.s), 0) + '%';
        bar.dataset.path = c.path;
        bar.title = c.path + ' · ' + clock(c.s) + '–' + clock(c.e) + ' · ' + c.frames + ' frames' + (c.trigger ? ' · ' + c.trigger : '');
        track.append(bar);
      }
      for (const ev of tl.events) {
        const t = Date.parse(ev.time);
        if (ev.camera !== cam || t < st.vfrom || t > st.vto) continue;
        const m = document.createElement('div');
        m.className = 'mark ' + (ev.kind === 'motion' ? 'motion' : 'other');
        m.style.left = pct(t) + '%';
        m.title = ev.kind + ' at ' + clock(t);
        track.append(m);
      }
      if (st.sel && st.sel.cam === cam) track.append(selBox(st.sel.a, st.sel.b));
      if (st.cursor !== null && st.play && st.play.clip.camera === cam) {
        const cur = document.createElement('div');
        cur.className = 'cursor';
        cur.style.left = pct(st.cursor) + '%';
        track.append(cur);
      }
      track.addEventListener('pointerdown', press);
      track.addEventListener('wheel', zoom, { passive: false });
      row.append(label, track);
      rows.append(row);
    }
  }

  // moveCursor puts the cursor at st.cursor on camera cam's row, without
  // drawing the rows again (a drag in progress keeps its row).
  function moveCursor(cam) {
    for (const el of document.querySelectorAll('.cursor')) el.remove();
    if (st.cursor === null) return;
    const track = [...document.querySelectorAll('.track')].find((t) => t.dataset.camera === cam);
    if (!track) return;
    const cur = document.createElement('div');
    cur.className = 'cursor';
    cur.style.left = pct(st.cursor) + '%';
    track.append(cur);
  }

  function selBox(a, b) {
    const s = document.createElement('div');
    s.className = 'sel';
    s.style.left = pct(a) + '%';
    s.style.width = (pct(b) - pct(a)) + '%';
    return s;
  }

  const timeAt = (track, x) => {
    const r = track.getBoundingClientRect();
    return st.vfrom + Math.min(Math.max((x - r.left) / r.width, 0), 1) * (st.vto - st.vfrom);
  };

  // press tells a click (play from there) from a drag (a range).
  function press(ev) {
    const track = ev.currentTarget, cam = track.dataset.camera, x0 = ev.clientX, t0 = timeAt(track, x0);
    let box = null;
    track.setPointerCapture(ev.pointerId);
    const move = (e) => {
      if (Math.abs(e.clientX - x0) < 4 && !box) return;
      const t = timeAt(track, e.clientX);
      if (box) box.remove();
      box = selBox(Math.min(t0, t), Math.max(t0, t));
      track.append(box);
    };
    const up = (e) => {
      track.removeEventListener('pointermove', move);
      track.removeEventListener('pointerup', up);
      if (!box) return playAt(cam, t0);
      const t = timeAt(track, e.clientX);
      select(cam, Math.min(t0, t), Math.max(t0, t));
    };
    track.addEventListener('pointermove', move);
    track.addEventListener('pointerup', up);
  }

  function select(cam, a, b) {
    st.sel = { cam, a, b };
    const args = 'from=' + encodeURIComponent(iso(a)) + '&to=' + encodeURIComponent(iso(b)) + '&camera=' + encodeURIComponent(cam);
    $('export-avi').href = 'export.avi' + q(args);
    $('export-gif').href = 'export.gif' + q(args);
    $('selrange').textContent = (cam || 'camera') + ' ' + clock(a) + '–' + clock(b) + ' (' + span(b - a) + ')';
    $('selection').hidden = false;
    draw();
  }

  function zoom(ev) {
    ev.preventDefault();
    const t = timeAt(ev.currentTarget, ev.clientX);
    const k = ev.deltaY > 0 ? 1.25 : 0.8;
    let a = t - (t - st.vfrom) * k, b = t + (st.vto - t) * k;
    if (b - a < 2000) return;
    st.vfrom = Math.max(a, st.from); st.vto = Math.min(b, st.to);
    draw();
  }

  async function framesOf(c) {
    if (!st.frames.has(c.id)) {
      const res = await fetch('r/' + c.id + '/api/frames' + auth);
      st.frames.set(c.id, await res.json());
    }
    return st.frames.get(c.id);
  }

  function stop() {
    if (st.play) clearTimeout(st.play.timer);
    st.play = null;
    $('pause').disabled = true;
  }

  // playAt plays camera cam's clips from time t, or says there is no
  // recording then.
  async function playAt(cam, t) {
    stop();
    const c = st.tl.clips.find((c) => c.camera === cam && c.s <= t && t <= c.e);
    if (!c) {
      st.cursor = null;
      status.textContent = 'no recording at ' + clock(t) + (cam ? ' (' + cam + ')' : '');
      status.className = 'gap';
      status.dataset.state = 'gap';
      view.removeAttribute('data-frame');
      draw();
      return;
    }
    const fr = await framesOf(c);
    const us = (t - c.s) * 1000;
    let i = 0;
    while (i + 1 < fr.length && Math.abs(fr[i + 1].time_us - us) <= Math.abs(fr[i].time_us - us)) i++;
    view.dataset.first = i;
    view.dataset.firstClip = c.path;
    st.paused = false;
    $('pause').disabled = false;
    $('pause').textContent = 'Pause';
    show(c, i, fr);
  }

  function show(c, i, fr) {
    st.play = { clip: c, i, fr, timer: 0 };
    const at = c.s + fr[i].time_us / 1000;
    view.src = 'r/' + c.id + '/frame/' + i + '.jpg' + auth;
    view.dataset.frame = i;
    view.dataset.clip = c.path;
    view.dataset.time = iso(at);
    st.cursor = at;
    status.className = '';
    status.dataset.state = 'playing';
    status.textContent = (c.camera || 'camera') + ' · ' + new Date(at).toLocaleString([], { hour12: false }) + ' · ' + c.path + ' frame ' + i + ' / ' + fr.length;
    moveCursor(c.camera);
    if (!st.paused) next();
  }

  // next moves on to the next frame at its time, and from a clip's last
  // frame to the camera's next clip, after a short pause in which the gap
  // shows as one.
  function next() {
    const p = st.play;
    if (p.i + 1 < p.fr.length) {
      p.timer = setTimeout(() => show(p.clip, p.i + 1, p.fr), Math.max((p.fr[p.i + 1].time_us - p.fr[p.i].time_us) / 1000, 10));
      return;
    }
    const later = st.tl.clips.filter((c) => c.camera === p.clip.camera && c.s >= p.clip.e && c !== p.clip);
    if (!later.length) {
      p.timer = setTimeout(() => { status.textContent += ' · end of the recordings'; $('pause').disabled = true; }, 0);
      return;
    }
    const n = later[0];
    const gap = n.s - p.clip.e;
    p.timer = setTimeout(async () => {
      if (gap > 1000) {
        status.textContent = 'gap: no recording for ' + span(gap) + ', on to ' + clock(n.s);
        status.className = 'gap';
        await new Promise((r) => { p.timer = setTimeout(r, 800); });
        if (st.play !== p || st.paused) return;
      }
      const fr = await framesOf(n);
      if (st.play === p && !st.paused) show(n, 0, fr);
    }, Math.min(Math.max(gap, 10), 1000));
  }

  $('pause').addEventListener('click', () => {
    if (!st.play) return;
    st.paused = !st.paused;
    $('pause').textContent = st.paused ? 'Play' : 'Pause';
    if (st.paused) clearTimeout(st.play.timer);
    else next();
  });
  $('fit').addEventListener('click', fit);
  $('whole').addEventListener('click', whole);
  const go = (ms) => {
    stop(); st.sel = null; $('selection').hidden = true;
    const d = new Date(ms); d.setDate(d.getDate() + 1);
    load(ms, d.getTime());
  };
  $('day').addEventListener('change', (e) => { const d = dayStart(e.target.value); go(d); });
  $('prevday').addEventListener('click', () => { const d = new Date(st.from); d.setDate(d.getDate() - 1); go(d.getTime()); });
  $('nextday').addEventListener('click', () => { const d = new Date(st.from); d.setDate(d.getDate() + 1); go(d.getTime()); });
  $('thumbs').href = 'list' + auth;
  load();
})();
