//! `GET /docs`: a readable API page that works offline (no CDN): it reads
//! `/openapi.json` and lists every endpoint with its schemas and a form to try it.

use axum::response::Html;

const PAGE: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>API docs</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem;color:#222}
h1{margin-bottom:.2rem} .ep{border:1px solid #ddd;border-radius:6px;margin:1rem 0;padding:.8rem}
.method{background:#2b7;color:#fff;border-radius:4px;padding:.1rem .4rem;font-weight:bold;margin-right:.4rem}
pre{background:#f6f6f6;padding:.6rem;overflow:auto;font-size:.85rem} textarea{width:100%;min-height:6rem;font-family:monospace}
details{margin:.4rem 0} button{margin-top:.3rem}
</style></head><body>
<h1 id="title">API</h1><p id="desc"></p><p><a href="/openapi.json">openapi.json</a></p>
<div id="eps">Loading /openapi.json ...</div>
<script>
const esc = s => String(s).replace(/[&<>"]/g, c => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
fetch('/openapi.json').then(r => r.json()).then(doc => {
  document.getElementById('title').textContent = doc.info.title + ' ' + doc.info.version;
  document.title = doc.info.title;
  document.getElementById('desc').textContent = doc.info.description || '';
  const schemas = (doc.components || {}).schemas || {};
  const root = document.getElementById('eps'); root.innerHTML = '';
  for (const [path, item] of Object.entries(doc.paths)) {
    const op = item.post; const body = op.requestBody ? op.requestBody.content['application/json'].schema : null;
    const ok = op.responses['200'].content; const out = ok['application/json'] ? ok['application/json'].schema : ok['text/event-stream'].itemSchema;
    const div = document.createElement('div'); div.className = 'ep';
    div.innerHTML = '<div><span class="method">POST</span><code>' + esc(path) + '</code> ' + (ok['text/event-stream'] ? '(streams events)' : '') + '</div>' +
      '<p>' + esc(op.description || op.summary || '') + '</p>' +
      (body ? '<details><summary>Input schema</summary><pre>' + esc(JSON.stringify(body, null, 2)) + '</pre></details>' : '') +
      '<details><summary>Output schema</summary><pre>' + esc(JSON.stringify(out, null, 2)) + '</pre></details>' +
      '<details><summary>Try it</summary><textarea>{}</textarea><br><button>Send</button><pre class="out"></pre></details>';
    div.querySelector('button').onclick = async () => {
      const outEl = div.querySelector('.out'); outEl.textContent = '...';
      const res = await fetch(path, {method: 'POST', headers: {'content-type': 'application/json'}, body: div.querySelector('textarea').value});
      outEl.textContent = res.status + '\n' + await res.text();
    };
    root.appendChild(div);
  }
  if (Object.keys(schemas).length) {
    const d = document.createElement('details'); d.innerHTML = '<summary>Schemas</summary><pre>' + esc(JSON.stringify(schemas, null, 2)) + '</pre>';
    root.appendChild(d);
  }
}).catch(e => { document.getElementById('eps').textContent = 'Could not load /openapi.json: ' + e; });
</script></body></html>"#;

pub(crate) async fn docs_page() -> Html<&'static str> {
    Html(PAGE)
}
