/* global window, document, navigator, fetch, customElements */
// The demo page's script (served as /demo.js: the page's CSP allows no inline script).
// Runs before /widget.js (both deferred, in order), so every feed knows its server first.
(() => {
  'use strict';
  const origin = window.location.origin;

  for (const feed of document.querySelectorAll('khabar-feed:not([server])')) {
    feed.setAttribute('server', origin);
  }

  // Without the widget bundle the feeds stay empty: say why instead of showing blank boxes.
  window.addEventListener('load', () => {
    const notice = document.getElementById('widget-missing');
    if (notice && !customElements.get('khabar-feed')) notice.hidden = false;
  });

  const snippet = document.getElementById('embed-snippet');
  const copyButton = document.getElementById('copy-snippet');
  const copyStatus = document.getElementById('copy-status');
  if (snippet) {
    snippet.textContent = `<script async src="${origin}/widget.js" data-channel="bihar" data-locale="hi" data-limit="10"></script>`;
  }
  if (snippet && copyButton && copyStatus && navigator.clipboard) {
    copyButton.hidden = false;
    copyButton.addEventListener('click', () => {
      navigator.clipboard.writeText(snippet.textContent ?? '').then(
        () => {
          copyStatus.textContent = 'Copied.';
        },
        () => {
          copyStatus.textContent = 'Could not copy: select the snippet and copy it by hand.';
        },
      );
    });
  }

  const publishButton = document.getElementById('publish-sample');
  const publishStatus = document.getElementById('publish-status');
  if (!publishButton || !publishStatus) return;
  publishButton.addEventListener('click', async () => {
    publishButton.disabled = true;
    publishStatus.textContent = 'Publishing…';
    try {
      const response = await fetch('/api/demo/sample', { method: 'POST' });
      const body = await response.json().catch(() => ({}));
      if (response.status === 202) {
        const post = body.accepted?.[0];
        publishStatus.textContent = post
          ? `Published “${post.title}” to ${post.channels.join(', ')}.`
          : 'Published.';
      } else if (response.status === 429) {
        publishStatus.textContent = 'One sample per second, please: try again in a moment.';
      } else {
        publishStatus.textContent = body.message ?? `Could not publish (HTTP ${response.status}).`;
      }
    } catch {
      publishStatus.textContent = 'Could not reach the server; is it running?';
    } finally {
      window.setTimeout(() => {
        publishButton.disabled = false;
      }, 1000);
    }
  });
})();
