'use strict';
// The folder page: a card for each recording, from /api/recordings.
(async function () {
  const fmt = (us) => (us / 1e6).toFixed(1) + ' s';
  document.getElementById('timeline').href = './' + location.search;
  const res = await fetch('api/recordings' + location.search);
  const list = await res.json();
  const ul = document.getElementById('recordings');
  document.getElementById('empty').hidden = list.length > 0;
  for (const r of list) {
    const li = document.createElement('li');
    const a = document.createElement('a');
    a.href = 'r/' + r.id + '/' + location.search;
    const img = document.createElement('img');
    img.src = 'r/' + r.id + '/frame/0.jpg';
    img.alt = 'first frame of ' + r.name;
    img.loading = 'lazy';
    const meta = document.createElement('div');
    meta.className = 'meta';
    const name = document.createElement('div');
    name.className = 'name';
    name.textContent = r.name + (r.damaged ? ' (damaged)' : '');
    const sub = document.createElement('div');
    sub.className = 'sub';
    sub.textContent = `${r.frames} frames · ${fmt(r.duration_us)} · ${new Date(r.modified).toLocaleString()}`;
    meta.append(name, sub);
    a.append(img, meta);
    li.append(a);
    ul.append(li);
  }
})();
