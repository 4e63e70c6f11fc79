// Live updates on top of the server-rendered page: when the server says the database
// moved on, fetch this page's <main> again and swap it in. Without JS the page is whole.
(() => {
  const live = document.body.dataset.live;
  if (!live || !window.EventSource) return;
  let pending = false;
  let again = false;
  const refresh = async () => {
    if (pending) { again = true; return; }
    pending = true;
    again = false;
    try {
      const url = new URL(location.href);
      url.searchParams.set('fragment', '1');
      const reply = await fetch(url, { credentials: 'same-origin' });
      if (reply.ok) {
        const open = [...document.querySelectorAll('main details')].map((d) => d.open);
        document.querySelector('main').innerHTML = await reply.text();
        document.querySelectorAll('main details').forEach((d, i) => {
          if (i < open.length) d.open = open[i];
        });
      }
    } finally {
      setTimeout(() => { pending = false; if (again) refresh(); }, 500);
    }
  };
  const source = new EventSource(live);
  source.addEventListener('open', () => document.body.classList.add('is-live'));
  source.addEventListener('error', () => document.body.classList.remove('is-live'));
  source.addEventListener('change', refresh);
})();
