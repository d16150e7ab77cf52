// Watch one channel live, the way a widget does: a snapshot, then every post:new, post:updated
// and post:removed; after a reconnect it resubscribes with its last cursor and misses nothing.
//
//   node examples/watch.mjs [channel] [locale]        (default: bihar hi)
//   KHABAR_URL=https://khabar.example.com node examples/watch.mjs top en
import { io } from 'socket.io-client';

const [channel = 'bihar', locale = 'hi'] = process.argv.slice(2);
const socket = io(process.env.KHABAR_URL ?? 'http://localhost:3000');
/** The last cursor seen in the channel: `since` for the next subscribe. */
let cursor;

function show(type, { post, id, cursor: at }) {
  if (type === 'post:removed') console.log('removed', id);
  else console.log(type === 'post:new' ? 'new' : 'updated', post.title, '·', post.ago);
  cursor = at;
}

socket.on('connect', async () => {
  const answer = await socket.emitWithAck('subscribe', { channel, locale, since: cursor });
  if (!answer.ok) {
    console.error(`cannot subscribe to ${channel}: ${answer.message}`);
    process.exit(1);
  }
  if (answer.recovered) {
    for (const event of answer.events) show(event.type, event);
  } else {
    console.log(`watching ${channel} (${answer.posts.length} recent posts)`);
    for (const post of answer.posts) console.log('snapshot', post.title, '·', post.ago);
  }
  cursor = answer.cursor;
});
for (const type of ['post:new', 'post:updated', 'post:removed']) {
  socket.on(type, (event) => show(type, event));
}
socket.on('connect_error', (err) => console.error(`cannot reach the server: ${err.message}`));
