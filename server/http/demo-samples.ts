/**
 * Sample articles for the demo page and `npm run demo`: written for Khabar, half in English
 * (channel `top`), half in Hindi (channels `bihar` and `delhi`). Each sample is one story with a
 * fixed URL: its first publish is a new post, later ones update it in place
 * ({@link sampleArticle}), so a demo left running never shows the same headline twice.
 */
import type { ArticleInput } from '../../shared/contract/http.js';

export interface SampleArticle {
  /** Path under https://example.com/, without the unique suffix. */
  path: string;
  title: string;
  summary: string;
  channel: 'top' | 'bihar' | 'delhi';
  lang: 'en' | 'hi';
  author: string;
}

export const SAMPLE_ARTICLES: readonly SampleArticle[] = [
  {
    path: 'news/metro-line-four-opens',
    title: 'Metro line four opens to commuters a month ahead of schedule',
    summary: 'The 18 km line links the airport to the old city with eleven stations.',
    channel: 'top',
    lang: 'en',
    author: 'Khabar Desk',
  },
  {
    path: 'hindi/bihar/patna-ganga-ghat-safai',
    title: 'पटना में गंगा घाटों की सफ़ाई का नया अभियान शुरू',
    summary: 'नगर निगम ने बीस घाटों पर रोज़ सुबह सफ़ाई दल तैनात किए हैं।',
    channel: 'bihar',
    lang: 'hi',
    author: 'ख़बर डेस्क',
  },
  {
    path: 'news/monsoon-early-arrival',
    title: 'Monsoon arrives early over the southern coast, forecasters say',
    summary: 'Rainfall is expected to spread north over the next ten days.',
    channel: 'top',
    lang: 'en',
    author: 'Weather Desk',
  },
  {
    path: 'hindi/delhi/yamuna-jal-star',
    title: 'दिल्ली में यमुना का जलस्तर चेतावनी के निशान से नीचे आया',
    summary: 'निचले इलाक़ों से हटाए गए परिवार अब घर लौट सकेंगे।',
    channel: 'delhi',
    lang: 'hi',
    author: 'ख़बर डेस्क',
  },
  {
    path: 'sport/cricket-under-19-final',
    title: 'Under-19 side reaches the final after a last-over chase',
    summary: 'A composed 64 from the vice-captain sealed a four-wicket win.',
    channel: 'top',
    lang: 'en',
    author: 'Sports Desk',
  },
  {
    path: 'hindi/bihar/gaya-pustak-mela',
    title: 'गया में पहला पुस्तक मेला, पहले दिन दस हज़ार पाठक पहुँचे',
    summary: 'मेले में मगही और भोजपुरी की किताबों के लिए अलग मंडप बनाया गया है।',
    channel: 'bihar',
    lang: 'hi',
    author: 'ख़बर संवाददाता',
  },
  {
    path: 'business/startup-seed-round',
    title: 'Local language news start-up raises its first funding round',
    summary: 'The team plans to add Maithili and Odia editions this year.',
    channel: 'top',
    lang: 'en',
    author: 'Business Desk',
  },
  {
    path: 'hindi/delhi/bus-electric-route',
    title: 'दिल्ली में सौ नई इलेक्ट्रिक बसें आज से सड़कों पर',
    summary: 'ये बसें बाहरी दिल्ली के बारह रूटों पर हर दस मिनट में चलेंगी।',
    channel: 'delhi',
    lang: 'hi',
    author: 'ख़बर डेस्क',
  },
  {
    path: 'science/solar-village-grid',
    title: 'Village solar grid keeps the lights on through a week of storms',
    summary: 'Batteries shared by forty homes carried the load while the main line was down.',
    channel: 'top',
    lang: 'en',
    author: 'Science Desk',
  },
  {
    path: 'hindi/bihar/darbhanga-airport-udaan',
    title: 'दरभंगा हवाई अड्डे से दो नई उड़ानें अगले महीने से',
    summary: 'मिथिला क्षेत्र के यात्रियों को अब बेंगलुरु के लिए सीधी सेवा मिलेगी।',
    channel: 'bihar',
    lang: 'hi',
    author: 'ख़बर संवाददाता',
  },
  {
    path: 'culture/film-festival-lineup',
    title: 'Film festival announces a line-up with films in nine languages',
    summary: 'Screenings open on Friday, with free entry for students.',
    channel: 'top',
    lang: 'en',
    author: 'Culture Desk',
  },
  {
    path: 'hindi/delhi/pustakalaya-raat',
    title: 'दिल्ली के तीन सार्वजनिक पुस्तकालय अब रात दस बजे तक खुलेंगे',
    summary: 'परीक्षा के मौसम में छात्रों की माँग पर समय बढ़ाया गया है।',
    channel: 'delhi',
    lang: 'hi',
    author: 'ख़बर डेस्क',
  },
];

/** A developing story: what a later publish of a sample adds to its summary, in turn. */
const DEVELOPMENTS: Record<SampleArticle['lang'], readonly string[]> = {
  en: [
    'Officials will share more details this evening.',
    'Reactions are coming in from across the city.',
    'Updated with the figures released this afternoon.',
  ],
  hi: [
    'अधिकारी शाम को और जानकारी देंगे।',
    'शहर भर से प्रतिक्रियाएँ आ रही हैं।',
    'दोपहर में जारी आँकड़ों के साथ अपडेट किया गया।',
  ],
};

/**
 * The `index`-th publish as an article for `normalizeArticle`, rotating through
 * {@link SAMPLE_ARTICLES}. The first round publishes each story as a new post; every later
 * round re-sends it at the same URL with the next development in its summary (two rounds in a
 * row always differ), which updates the post in place (`post:updated`) instead of piling up
 * copies of one headline.
 */
export function sampleArticle(index: number): ArticleInput {
  const count = SAMPLE_ARTICLES.length;
  const position = ((index % count) + count) % count;
  const round = Math.floor(Math.max(0, index) / count);
  const sample = SAMPLE_ARTICLES[position] ?? SAMPLE_ARTICLES[0];
  if (sample === undefined) throw new Error('there are no sample articles');
  const developments = DEVELOPMENTS[sample.lang];
  const development = round === 0 ? undefined : developments[(round - 1) % developments.length];
  return {
    url: `https://example.com/${sample.path}`,
    title: sample.title,
    summary: development ? `${sample.summary} ${development}` : sample.summary,
    channels: [sample.channel],
    lang: sample.lang,
    author: sample.author,
  };
}
