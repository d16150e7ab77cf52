/**
 * The widget's only styles, shared by every instance: a constructable stylesheet where the
 * browser has them (not subject to a strict `style-src` CSP), else one `<style>` element.
 * Themable from the page through `--khabar-*` custom properties and `::part(...)`.
 *
 * The pill has colours of its own, fixed as a readable pair: it sits on the page's background,
 * which may be anything (`--khabar-bg: transparent` shows the host page through), so neither
 * colour may come from `--khabar-bg`. It takes its own line above the list instead of floating
 * over the first headline.
 */
const CSS = `
:host{display:block;contain:content;min-width:0;
--_font:var(--khabar-font,"Noto Sans","Noto Sans Devanagari",system-ui,-apple-system,"Segoe UI",Roboto,"Nirmala UI",Mangal,"Helvetica Neue",Arial,sans-serif);
--_fg:var(--khabar-fg,#1b1b1f);--_muted:var(--khabar-muted,#5f6368);--_accent:var(--khabar-accent,#b3261e);
--_bg:var(--khabar-bg,#fff);--_gap:var(--khabar-gap,0.75rem);
--_pill-fg:var(--khabar-pill-fg,#fff);--_pill-bg:var(--khabar-pill-bg,#b3261e)}
@media (prefers-color-scheme:dark){:host{--_fg:var(--khabar-fg,#e8e8ea);--_muted:var(--khabar-muted,#a7abb2);
--_accent:var(--khabar-accent,#ffb4ab);--_bg:var(--khabar-bg,#16171a);
--_pill-fg:var(--khabar-pill-fg,#1b1b1f);--_pill-bg:var(--khabar-pill-bg,#ffb4ab)}}
[hidden]{display:none!important}
.root{position:relative;font-family:var(--_font);color:var(--_fg);background:var(--_bg);font-size:1rem;line-height:1.45}
.list{display:flex;flex-direction:column;gap:var(--_gap);max-height:var(--khabar-max-height,none);overflow:auto;overscroll-behavior:contain;padding:2px}
.item{min-width:0;padding-bottom:var(--_gap);border-bottom:1px solid color-mix(in srgb,var(--_muted) 25%,transparent)}
.item:last-child{border-bottom:0;padding-bottom:0}
.title{margin:0;font-size:1em;font-weight:600;overflow-wrap:anywhere}
.title a{color:inherit;text-decoration:none}
.title a:hover{color:var(--_accent);text-decoration:underline}
.excerpt{margin:.2em 0 0;color:var(--_muted);font-size:.9em;overflow:hidden;display:-webkit-box;-webkit-box-orient:vertical;-webkit-line-clamp:1;line-clamp:1;overflow-wrap:anywhere}
.time{display:block;margin-top:.25em;color:var(--_muted);font-size:.8em}
a:focus-visible,button:focus-visible,.item:focus-visible,.list:focus-visible{outline:2px solid var(--_accent);outline-offset:2px;border-radius:2px}
.pill{display:block;max-width:100%;margin:0 auto var(--_gap);border:0;border-radius:999px;
padding:.35em .9em;font:inherit;font-size:.85em;font-weight:600;cursor:pointer;color:var(--_pill-fg);background:var(--_pill-bg)}
.status{position:absolute;width:1px;height:1px;margin:-1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
.status.show{position:static;width:auto;height:auto;margin:0 0 .4em;clip-path:none;font-size:.8em;color:var(--_muted)}
.status.show::before{content:"";display:inline-block;width:.5em;height:.5em;margin-inline-end:.4em;border-radius:50%;background:var(--_muted)}
.note{margin:0;color:var(--_muted);font-size:.9em}
@keyframes khabar-in{from{opacity:0;transform:translateY(-.75rem)}to{opacity:1;transform:none}}
.enter{animation:khabar-in .35s ease-out}
@media (prefers-reduced-motion:reduce){.enter{animation:none}}
`;

let shared: CSSStyleSheet | undefined;

/** Adds the widget's styles to a shadow root. */
export function adoptStyles(root: ShadowRoot): void {
  if ('adoptedStyleSheets' in root && typeof CSSStyleSheet.prototype.replaceSync === 'function') {
    try {
      shared ??= new CSSStyleSheet();
      if (shared.cssRules.length === 0) shared.replaceSync(CSS);
      root.adoptedStyleSheets = [...root.adoptedStyleSheets, shared];
      return;
    } catch {
      // An older engine without constructable stylesheets: fall through to <style>.
    }
  }
  const style = document.createElement('style');
  style.textContent = CSS;
  root.append(style);
}
