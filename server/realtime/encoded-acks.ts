import { Decoder, Encoder, PacketType, type Packet } from 'socket.io-parser';

/**
 * Acks whose answer is serialized once and shared by many sockets.
 *
 * Socket.IO encodes an ack's answer for each socket it goes to: a walk of the object for binary
 * parts, then `JSON.stringify`. When a node's readers resubscribe together (a seq gap after a
 * failover, a page reloading its channels), thousands of them ask the same thing and get the
 * same answer, a few kilobytes of recovered posts each: in `npm run bench`'s storm on open
 * connections, that encoding was about a third of the server's samples. An `EncodedAnswer`
 * carries the answer's JSON, made once (see shared-answers.ts); the encoder below writes it into
 * the ack packet as it is. The bytes on the wire are those Socket.IO's own encoder would write:
 * `3`, the namespace unless it is the main one (`/newsroom,`), the ack id, then the JSON array of
 * the answer.
 */
export class EncodedAnswer {
  constructor(readonly json: string) {}
}

class EncodedAnswerEncoder extends Encoder {
  override encode(packet: Packet): (string | Buffer)[] {
    const data: unknown = packet.data;
    if (
      packet.type === PacketType.ACK &&
      Array.isArray(data) &&
      data.length === 1 &&
      data[0] instanceof EncodedAnswer
    ) {
      const nsp = packet.nsp && packet.nsp !== '/' ? `${packet.nsp},` : '';
      return [`${PacketType.ACK}${nsp}${String(packet.id)}[${data[0].json}]`];
    }
    return super.encode(packet) as (string | Buffer)[];
  }
}

/** Socket.IO's parser (its `parser` option), with acks that may carry an `EncodedAnswer`. */
export const encodedAnswerParser = { Encoder: EncodedAnswerEncoder, Decoder };
