import type { Post } from '../../../shared/contract/protocol.js';
import { button, el, placeChildren, setText, timeElement, titleLink } from './dom.js';
import type { RelativeLabels } from './relative-labels.js';

/**
 * The live stream panel: one `<article>` per post in a `role="feed"`, each with its channels,
 * its relative label and a retract button. Rows are kept and updated in place.
 */
export interface StreamView {
  /** Shows exactly `posts`, in order. */
  render(posts: readonly Post[]): void;
  /** The list has its first answer (until then it says "loading"). */
  setReady(): void;
}

export interface StreamViewDeps {
  list: HTMLElement;
  empty: HTMLElement;
  labels: RelativeLabels;
  onRetract: (post: Post, trigger: HTMLButtonElement) => void;
}

interface Row {
  article: HTMLElement;
  post: Post;
}

/** A BCP 47-looking tag, for the `lang` attribute (anything else is left out, not echoed). */
const LANG = /^[a-z]{2,3}(?:-[a-z0-9]{2,8})*$/i;

let rowIds = 0;

/** Whether two versions of a post render the same. */
function sameRendering(a: Post, b: Post): boolean {
  return (
    a.url === b.url &&
    a.title === b.title &&
    a.author === b.author &&
    a.publishedAt === b.publishedAt &&
    a.lang === b.lang &&
    a.channels.join('\n') === b.channels.join('\n')
  );
}

export function createStreamView({ list, empty, labels, onRetract }: StreamViewDeps): StreamView {
  const rows = new Map<string, Row>();
  let ready = false;

  function fill(row: Row, post: Post): void {
    row.post = post;
    const { article } = row;
    const titleId = `post-title-${++rowIds}`;
    const heading = el('h3', 'title');
    heading.id = titleId;
    heading.append(titleLink(post));
    if (post.lang && LANG.test(post.lang)) heading.lang = post.lang;

    const meta = el('p', 'meta');
    const chips = el('span', 'chips');
    chips.setAttribute('aria-label', `Channels: ${post.channels.join(', ')}`);
    for (const channel of post.channels) chips.append(el('span', 'chip', channel));
    const time = timeElement(Date.parse(post.publishedAt));
    meta.append(chips, ' · ', time);
    if (post.author) meta.append(' · ', el('span', 'author', post.author));
    if (post.updatedAt) meta.append(' · ', el('span', 'edited', 'updated'));

    const retract = button('Retract', `Retract “${post.title}”`);
    retract.dataset.action = 'retract';
    retract.addEventListener('click', () => {
      onRetract(row.post, retract);
    });
    const actions = el('div', 'actions');
    actions.append(retract);

    const body = el('div');
    body.append(heading, meta);
    article.replaceChildren(body, actions);
    article.setAttribute('aria-labelledby', titleId);
    labels.track(time, Date.parse(post.publishedAt));
  }

  return {
    render(posts) {
      const shown: HTMLElement[] = [];
      const keep = new Set<string>();
      for (const post of posts) {
        keep.add(post.id);
        let row = rows.get(post.id);
        if (!row) {
          const article = el('article', 'post');
          article.dataset.postId = post.id;
          article.tabIndex = -1;
          row = { article, post };
          fill(row, post);
          rows.set(post.id, row);
        } else if (row.post !== post && !sameRendering(row.post, post)) {
          fill(row, post);
        } else {
          row.post = post;
        }
        shown.push(row.article);
      }
      for (const id of rows.keys()) if (!keep.has(id)) rows.delete(id);
      placeChildren(list, shown);
      const size = String(shown.length);
      shown.forEach((article, i) => {
        article.setAttribute('aria-posinset', String(i + 1));
        article.setAttribute('aria-setsize', size);
      });
      empty.hidden = shown.length > 0;
      setText(empty, ready ? 'No posts yet.' : 'Loading posts…');
      labels.refresh();
    },
    setReady() {
      ready = true;
      list.setAttribute('aria-busy', 'false');
      if (rows.size === 0) setText(empty, 'No posts yet.');
    },
  };
}
