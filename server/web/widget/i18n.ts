/** The widget's few UI strings: English and Hindi, English for every other locale. */

interface Messages {
  /** Plural forms of "N new posts", `#` standing for the number. */
  newPosts: Partial<Record<Intl.LDMLPluralRule, string>> & { other: string };
  reconnecting: string;
  loading: string;
  empty: string;
  /** The list's accessible name. */
  recentPosts: string;
}

const MESSAGES: Record<'en' | 'hi', Messages> = {
  en: {
    newPosts: { one: '# new post', other: '# new posts' },
    reconnecting: 'reconnecting…',
    loading: 'Loading posts…',
    empty: 'No posts yet',
    recentPosts: 'Recent posts',
  },
  hi: {
    newPosts: { other: '# नई पोस्ट' },
    reconnecting: 'फिर से जुड़ रहे हैं…',
    loading: 'पोस्ट लोड हो रही हैं…',
    empty: 'अभी कोई पोस्ट नहीं',
    recentPosts: 'हाल की पोस्ट',
  },
};

function messagesFor(locale: string): Messages {
  return locale.split('-', 1)[0]?.toLowerCase() === 'hi' ? MESSAGES.hi : MESSAGES.en;
}

export interface Texts {
  newPosts(count: number): string;
  readonly reconnecting: string;
  readonly loading: string;
  readonly empty: string;
  readonly recentPosts: string;
}

/** UI texts for an already-resolved locale tag. */
export function textsFor(locale: string): Texts {
  const messages = messagesFor(locale);
  const rules = new Intl.PluralRules(locale);
  const numbers = new Intl.NumberFormat(locale);
  return {
    newPosts(count) {
      const form = messages.newPosts[rules.select(count)] ?? messages.newPosts.other;
      return form.replace('#', numbers.format(count));
    },
    reconnecting: messages.reconnecting,
    loading: messages.loading,
    empty: messages.empty,
    recentPosts: messages.recentPosts,
  };
}
