import type { Logger } from 'pino';
import type { Namespace, Socket } from 'socket.io';
import type { LogEvent } from '../../shared/domain/channel-log.js';
import { formatCursor } from '../../shared/contract/cursor.js';
import type { NewsroomPayload } from '../../shared/domain/newsroom-events.js';
import { presentPost } from '../../shared/contract/present.js';
import type {
  NewsroomClientEvents,
  NewsroomOnlyEvent,
  NewsroomServerEvents,
} from '../../shared/contract/protocol.js';
import { resolveLocale } from '../../shared/contract/relative-time.js';
import { errorMessage, type ErrorCode } from '../../shared/infra/errors.js';
import type { TokenSet } from '../tokens.js';
import type { NoServerEvents } from './public-namespace.js';

/**
 * The `/newsroom` namespace (SPEC §6): authenticated dashboards that receive every channel's
 * post events and the newsroom-only events. Sockets join one room per label locale, so each
 * post event is encoded once per locale, as in the public namespace.
 */

interface NewsroomSocketData {
  locale: string;
}

export type NewsroomNamespace = Namespace<
  NewsroomClientEvents,
  NewsroomServerEvents,
  NoServerEvents,
  NewsroomSocketData
>;
export type NewsroomSocket = Socket<
  NewsroomClientEvents,
  NewsroomServerEvents,
  NoServerEvents,
  NewsroomSocketData
>;
type Target = NewsroomNamespace | NewsroomSocket;

export interface NewsroomNamespaceDeps {
  nsp: NewsroomNamespace;
  /** NEWSROOM_TOKENS. */
  tokens: TokenSet;
  /**
   * CORS_ORIGINS: browser origins allowed besides this server's own. `*` allows no other:
   * a dashboard on a stranger's page must never be able to borrow an editor's token.
   */
  corsOrigins: '*' | readonly string[];
  defaultLocale: string;
  logger: Logger;
  /** A dashboard just connected: send it what it should not wait 5 s for. */
  onConnected?: (socket: NewsroomSocket) => void;
  now?: () => number;
}

export interface NewsroomDelivery {
  /** Pushes fan-out events (every channel) to the dashboards. */
  deliverPosts: (events: readonly LogEvent[]) => void;
  /** Pushes one newsroom-only event to every dashboard, or to one socket. */
  send: <E extends NewsroomOnlyEvent>(
    type: E,
    payload: NewsroomPayload<E>,
    to?: NewsroomSocket,
  ) => void;
  /** Whether any dashboard is connected to this node (periodic reads are skipped otherwise). */
  watched: () => boolean;
}

const roomOf = (locale: string): string => `locale:${locale}`;

/** Why a handshake is refused: codes of the registry of errors. */
export type RefusalReason = Extract<ErrorCode, 'no_token' | 'wrong_token' | 'origin_not_allowed'>;

/**
 * Why a handshake is refused, for the log and the `connect_error`'s `data`; its message is
 * always `unauthorized`. `auth` is what the client sent (a `NewsroomAuth`, unchecked).
 */
export function refusal(
  auth: unknown,
  origin: string | undefined,
  host: string | undefined,
  tokens: TokenSet,
  corsOrigins: '*' | readonly string[],
): RefusalReason | null {
  const token =
    typeof auth === 'object' && auth !== null && 'token' in auth ? auth.token : undefined;
  if (typeof token !== 'string' || token === '') return 'no_token';
  if (tokens.size === 0 || !tokens.matches(token)) return 'wrong_token';
  // Browsers always send Origin; a client without one is not a page, and its token decides.
  if (origin === undefined) return null;
  if (corsOrigins !== '*' && corsOrigins.includes(origin)) return null;
  let originHost: string | undefined;
  try {
    originHost = new URL(origin).host;
  } catch {
    return 'origin_not_allowed';
  }
  return originHost === host ? null : 'origin_not_allowed';
}

function localeOf(auth: unknown, defaultLocale: string): string {
  const locale =
    typeof auth === 'object' && auth !== null && 'locale' in auth ? auth.locale : undefined;
  return resolveLocale(typeof locale === 'string' ? locale.slice(0, 64) : undefined, defaultLocale);
}

export function attachNewsroomNamespace({
  nsp,
  tokens,
  corsOrigins,
  defaultLocale,
  logger,
  onConnected,
  now = Date.now,
}: NewsroomNamespaceDeps): NewsroomDelivery {
  /** Locales some dashboard on this node reads labels in. */
  const locales = new Set<string>();
  nsp.adapter.on('delete-room', (room: string) => {
    if (room.startsWith('locale:')) locales.delete(room.slice('locale:'.length));
  });

  // Runs on every connection, reconnections included: a token taken out of NEWSROOM_TOKENS
  // (and the node restarted) stops working at the next reconnect.
  nsp.use((socket, next) => {
    const { auth, headers, address } = socket.handshake;
    const reason = refusal(auth, headers.origin, headers.host, tokens, corsOrigins);
    if (reason === null) {
      next();
      return;
    }
    logger.info(
      { event: 'newsroom.refused', reason, origin: headers.origin, address },
      'newsroom connection refused',
    );
    const err = new Error('unauthorized' satisfies ErrorCode) as Error & { data?: unknown };
    err.data = { reason, message: errorMessage(reason) };
    next(err);
  });

  nsp.on('connection', (socket: NewsroomSocket) => {
    const locale = localeOf(socket.handshake.auth, defaultLocale);
    socket.data.locale = locale;
    locales.add(locale);
    void socket.join(roomOf(locale));
    // A few dashboards per node: each gets its logger, naming it on every line.
    const log = logger.child({ namespace: nsp.name, socketId: socket.id });
    log.debug({ event: 'socket.connected', locale }, 'dashboard connected');
    socket.on('disconnect', (reason) => {
      log.debug({ event: 'socket.disconnected', reason }, 'dashboard disconnected');
    });
    onConnected?.(socket);
  });

  const watched = (): boolean => nsp.sockets.size > 0;

  return {
    watched,
    deliverPosts(events) {
      if (!watched()) return;
      const at = now();
      for (const event of events) {
        const head = {
          channel: event.channel,
          seq: event.seq,
          cursor: formatCursor(event.epoch, event.seq),
        };
        if (event.type === 'post:removed' || !event.post) {
          nsp.emit('post:removed', { ...head, id: event.id });
          continue;
        }
        for (const locale of locales) {
          nsp
            .to(roomOf(locale))
            .emit(event.type, { ...head, post: presentPost(event.post, at, locale) });
        }
      }
    },
    send(type, payload, to) {
      const target: Target = to ?? nsp;
      // One event name and its payload type go together by construction (NewsroomPayload<E>);
      // Socket.IO's emit cannot see that through a generic, hence the widened signature.
      (target.emit as (event: string, data: unknown) => boolean).call(target, type, payload);
    },
  };
}
