import assert from 'node:assert/strict';
import { Decoder, Encoder, PacketType, type Packet } from 'socket.io-parser';
import { EncodedAnswer, encodedAnswerParser } from '../../server/realtime/encoded-acks.js';

const answer = {
  ok: true,
  channel: 'bihar',
  recovered: true,
  events: [{ type: 'post:new', seq: 3, post: { title: 'पटना में "बाढ़" </script>' } }],
};

function decoded(encoded: string): Packet {
  let packet: Packet | undefined;
  const decoder = new Decoder();
  decoder.on('decoded', (p: Packet) => (packet = p));
  decoder.add(encoded);
  assert.ok(packet, 'nothing decoded');
  return packet;
}

describe('encoded acks (the public socket’s parser)', function () {
  const encoder = new encodedAnswerParser.Encoder();
  const socketIo = new Encoder();

  for (const nsp of ['/', '/newsroom']) {
    it(`writes an EncodedAnswer as Socket.IO writes the object it encodes (${nsp})`, () => {
      const shared = new EncodedAnswer(JSON.stringify(answer));
      const ours = encoder.encode({ type: PacketType.ACK, nsp, id: 17, data: [shared] });
      const theirs = socketIo.encode({ type: PacketType.ACK, nsp, id: 17, data: [answer] });
      assert.deepEqual(ours, theirs);
      assert.deepEqual(decoded(ours[0] as string), {
        type: PacketType.ACK,
        nsp,
        id: 17,
        data: [answer],
      });
    });
  }

  it('encodes every other packet as Socket.IO does', () => {
    const packets: Packet[] = [
      { type: PacketType.EVENT, nsp: '/', data: ['post:new', answer] },
      { type: PacketType.ACK, nsp: '/', id: 2, data: [answer] },
      { type: PacketType.ACK, nsp: '/', id: 3, data: [new EncodedAnswer('{}'), 'second'] },
      { type: PacketType.CONNECT, nsp: '/newsroom', data: { sid: 'x' } },
    ];
    for (const packet of packets)
      assert.deepEqual(encoder.encode(packet), socketIo.encode(packet), JSON.stringify(packet));
  });
});
