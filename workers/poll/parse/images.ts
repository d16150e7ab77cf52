/** The picture of a feed item: from Media RSS, else the first real image of its HTML. */
import type { MediaNs } from 'feedsmith';
import { resolveHttp } from './links.js';

type MediaHolder = MediaNs.ItemOrFeed;

/** Images that are not pictures of the story: tracking pixels, FeedBurner "flare" buttons. */
function isJunkImage(tag: string, src: string): boolean {
  const size = /\s(?:width|height)\s*=\s*["']?([01])(?:px)?["'\s/>]/i.test(tag);
  return size || src.startsWith('data:') || /\/~(?:ff|r)\//.test(src);
}

/** The first picture (`<img src>`) of some HTML, resolved against `base`. */
export function firstImage(html: string | undefined, base: string | undefined): string | undefined {
  if (html === undefined) return undefined;
  for (const match of html.matchAll(/<img\b(?:[^<>"']|"[^<"]*"|'[^<']*')*>/gi)) {
    const tag = match[0];
    const attribute = /\ssrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/i.exec(tag);
    const src = (attribute?.[1] ?? attribute?.[2] ?? attribute?.[3])?.replaceAll('&amp;', '&');
    if (src === undefined || isJunkImage(tag, src)) continue;
    const url = resolveHttp(src, base);
    if (url !== undefined) return url;
  }
  return undefined;
}

/** An image from Media RSS: a thumbnail, else an image content, at the top level or in a group. */
export function mediaImage(
  media: MediaHolder | undefined,
  base: string | undefined,
): string | undefined {
  if (media === undefined) return undefined;
  const holders = [media, ...(media.groups ?? [])];
  for (const holder of holders) {
    const url = resolveHttp(holder.thumbnails?.[0]?.url, base);
    if (url !== undefined) return url;
  }
  for (const holder of holders) {
    for (const content of holder.contents ?? []) {
      const isImage = content.medium === 'image' || content.type?.startsWith('image/') === true;
      const url = isImage ? resolveHttp(content.url, base) : undefined;
      if (url !== undefined) return url;
      const thumbnail = resolveHttp(content.thumbnails?.[0]?.url, base);
      if (thumbnail !== undefined) return thumbnail;
    }
  }
  return undefined;
}
