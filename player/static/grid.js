'use strict';
// The grid page: a tile per camera (its stream at the grid's reduced
// rate, its status, its trigger), the full stream in a dialog on a click.
(() => {
  const grid = document.getElementById('grid');
  const fps = grid.dataset.fps;
  const full = document.getElementById('full');
  const fullview = document.getElementById('fullview');
  const tiles = new Map();
  const path = (name) => 'cam/' + encodeURIComponent(name) + '/';
  const open = (name) => {
    fullview.src = path(name) + 'stream.mjpg';
    document.getElementById('fullname').textContent = name;
    full.showModal();
  };
  document.getElementById('close').onclick = () => full.close();
  full.addEventListener('close', () => { fullview.src = 'data:,'; });
  const tile = (name) => {
    const fig = document.createElement('figure');
    fig.className = 'tile';
    const img = document.createElement('img');
    img.alt = name + ', live';
    img.src = path(name) + 'stream.mjpg?fps=' + fps;
    img.onclick = () => open(name);
    const cap = document.createElement('figcaption');
    const title = document.createElement('strong');
    title.textContent = name;
    const st = document.createElement('span');
    st.setAttribute('aria-live', 'polite');
    const btn = document.createElement('button');
    btn.type = 'button';
    btn.textContent = 'trigger';
    btn.onclick = () => fetch(path(name) + 'trigger', { method: 'POST' });
    const motion = document.createElement('span');
    motion.className = 'motion';
    motion.textContent = 'motion';
    motion.hidden = true;
    const ev = document.createElement('span');
    ev.className = 'lastevent';
    cap.append(title, ' ', motion, ' ', st, ' ', btn, ' ', ev);
    fig.append(img, cap);
    grid.append(fig);
    return { fig, st, motion, ev };
  };
  // The cameras' events (/api/events, Server-Sent Events of JSON lines,
  // each with its camera): the last one of each, and its motion.
  const events = new EventSource('api/events');
  events.onmessage = (m) => {
    let e;
    try { e = JSON.parse(m.data); } catch (err) { return; }
    if (!e.camera) return;
    const t = tiles.get(e.camera) || tiles.set(e.camera, tile(e.camera)).get(e.camera);
    if (e.event === 'motion_start') t.motion.hidden = false;
    if (e.event === 'motion_end') t.motion.hidden = true;
    t.ev.textContent = 'last: ' + e.event + (e.time ? ' ' + new Date(e.time).toLocaleTimeString() : '');
  };
  const refresh = async () => {
    let cams = [];
    try { cams = await (await fetch('api/cameras')).json(); } catch (e) { return; }
    const seen = new Set();
    for (const c of cams || []) {
      seen.add(c.name);
      const t = tiles.get(c.name) || tiles.set(c.name, tile(c.name)).get(c.name);
      const parts = [
        c.connected ? (c.fps || 0).toFixed(1) + ' fps' : 'not connected',
        c.recording ? 'recording' : 'idle',
        (c.dropped || 0) + ' dropped',
      ];
      if (c.last_event) parts.push('last event ' + new Date(c.last_event).toLocaleTimeString());
      if (c.last_error) parts.push(c.last_error);
      t.st.textContent = parts.join(' · ');
      t.motion.hidden = !c.motion;
    }
    for (const [name, t] of tiles) {
      if (!seen.has(name)) { t.fig.remove(); tiles.delete(name); }
    }
  };
  refresh();
  setInterval(refresh, 1000);
})();
