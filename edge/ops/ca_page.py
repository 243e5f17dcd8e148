"""The page a handheld opens to trust the edge's certificate authority (GET /ca)."""

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>floorscan: trust this edge</title>
<style>
 body{font-family:system-ui,sans-serif;max-width:40rem;margin:1rem auto;padding:0 1rem;line-height:1.45}
 .button{display:inline-block;padding:.8rem 1.2rem;background:#0b5cad;color:#fff;border-radius:.4rem;
         text-decoration:none;font-size:1.1rem}
 code{word-break:break-all} .qr svg{width:12rem;height:auto} li{margin:.3rem 0}
 .warn{background:#fff4d6;padding:.6rem;border-radius:.4rem}
</style></head><body>
<h1>Trust this edge server</h1>
{% if not ca %}
<p class="warn">This edge has no certificate authority yet. On the edge box run
<code>floorscan tls init</code>, then <code>floorscan serve --tls</code> (docs/operations.md).</p>
{% else %}
<p>Handhelds use the camera and work offline only over <b>https</b>. This edge signs its own
certificate; install its certificate authority on each phone once.</p>
<p><a class="button" href="/ca.crt" download="floorscan-ca.crt">Download the CA certificate</a></p>
<p>Check on the phone that the certificate's SHA-256 fingerprint is<br><code>{{ fingerprint }}</code></p>

<h2>Android (phones and Zebra / Honeywell handhelds)</h2>
<ol>
 <li>Tap <i>Download the CA certificate</i> above (Chrome may ask where to save it).</li>
 <li>Settings &rarr; Security &amp; privacy &rarr; More security settings &rarr; Encryption &amp; credentials
     &rarr; Install a certificate &rarr; <b>CA certificate</b> &rarr; Install anyway.
     (Older Android: Settings &rarr; Security &rarr; Install from storage.)</li>
 <li>Pick <code>floorscan-ca.crt</code> from Downloads. Android asks for the screen lock PIN.</li>
 <li>Open the address below in Chrome: no warning any more. Menu &rarr; <i>Install app</i>.</li>
</ol>

<h2>iPhone and iPad</h2>
<ol>
 <li>Open this page in <b>Safari</b> and tap <i>Download the CA certificate</i>; allow the profile download.</li>
 <li>Settings &rarr; <i>Profile Downloaded</i> &rarr; Install (enter the passcode) &rarr; Install.</li>
 <li>Settings &rarr; General &rarr; About &rarr; <b>Certificate Trust Settings</b> &rarr; switch on
     full trust for <i>{{ ca_name }}</i>.</li>
 <li>Open the address below in Safari: Share &rarr; <i>Add to Home Screen</i>.</li>
</ol>
{% endif %}

<h2>The handheld app</h2>
{% if url %}
<p>Scan this with the phone's camera, or type it:</p>
<p class="qr">{{ qr|safe }}</p>
<p><code>{{ url }}</code></p>
{% else %}
<p>The server certificate names no address a phone can reach; run
<code>floorscan tls init --hosts NAME-OR-ADDRESS</code> on the edge box.</p>
{% endif %}
{% if others %}<p>Also valid: {% for o in others %}<code>{{ o }}</code>{% if not loop.last %}, {% endif %}{% endfor %}</p>{% endif %}
</body></html>
"""
