import assert from 'node:assert/strict';
import { htmlToText } from '../../shared/domain/html-text.js';
import { CURLY_TITLE, DEVANAGARI_TITLE } from '../helpers/articles.js';

describe('htmlToText', () => {
  it('drops bidi embeddings, overrides and isolates, and keeps the LRM/RLM marks', () => {
    // "‮txt.exe" would show as "exe.txt"; an isolate could hide a reordered word.
    const spoofs = [
      '\u202A',
      '\u202B',
      '\u202C',
      '\u202D',
      '\u202E',
      '\u2066',
      '\u2067',
      '\u2068',
      '\u2069',
    ];
    for (const control of spoofs) {
      assert.equal(
        htmlToText(`Flood ${control}alert`),
        'Flood alert',
        control.codePointAt(0)?.toString(16),
      );
    }
    assert.equal(htmlToText('<b>\u202Egnp.exe</b>'), 'gnp.exe');
    assert.equal(htmlToText('قیمت \u200F۵۰\u200E روپے'), 'قیمت \u200F۵۰\u200E روپے');
  });

  it('tidies plain text (no tag, no entity) exactly as it tidies the same text parsed as HTML', () => {
    const samples = [
      '  Flood\talert\r\n in  Patna ',
      'बिहार में बाढ़\u200B \u00A0 राहत',
      'a\u0000b\u0007c\uFEFF d',
      'lone \uD800 surrogate',
      'e\u0301 composed',
      ' \u200B ',
      '',
    ];
    for (const text of samples) {
      // An inline element adds no word break, so only the parsing path differs.
      assert.equal(htmlToText(text), htmlToText(`${text}<i></i>`), JSON.stringify(text));
    }
  });

  it('removes tags and keeps the text of inline elements together', () => {
    assert.equal(
      htmlToText('<b>Pat</b>na <a href="/x">flood</a> <i>alert</i>'),
      'Patna flood alert',
    );
  });

  it('separates the words of block elements', () => {
    assert.equal(htmlToText('<p>a</p><p>b</p>'), 'a b');
    assert.equal(htmlToText('a<br>b<br/>c'), 'a b c');
    assert.equal(htmlToText('<div>a</div>b'), 'a b');
    assert.equal(htmlToText('<ul><li>one<li>two</ul>three'), 'one two three');
    assert.equal(
      htmlToText('<h1>Head</h1>Body<table><tr><td>x</td><td>y</td></tr></table>'),
      'Head Body x y',
    );
  });

  it('drops the contents of script, style and template, nested ones included', () => {
    assert.equal(htmlToText('a<script>alert("x")</script>b'), 'ab');
    assert.equal(htmlToText('a <style>p { color: red }</style>b'), 'a b');
    assert.equal(htmlToText('<template><p>hidden</p></template>shown'), 'shown');
    assert.equal(htmlToText('<template><template>x</template>y</template>z'), 'z');
    assert.equal(htmlToText('<SCRIPT>x</SCRIPT>y'), 'y');
  });

  it('drops noscript, svg and math contents but keeps textarea text', () => {
    assert.equal(htmlToText('<noscript>Enable JavaScript</noscript>News'), 'News');
    assert.equal(htmlToText('<svg><title>Share icon</title></svg>News'), 'News');
    assert.equal(htmlToText('<math><mi>x</mi></math>News'), 'News');
    assert.equal(htmlToText('<textarea>typed <b>text</b></textarea>'), 'typed <b>text</b>');
  });

  it('ignores a stray end tag of a dropped element', () => {
    assert.equal(htmlToText('a</template>b<script>c</script>d'), 'abd');
  });

  it('drops comments and CDATA sections', () => {
    assert.equal(htmlToText('a<!-- note -->b<![CDATA[c]]>d'), 'abd');
  });

  it('decodes named and numeric entities', () => {
    assert.equal(
      htmlToText('Tom &amp; Jerry&nbsp;&hellip; it&#8217;s &#x20B9;5'),
      'Tom & Jerry … it’s ₹5',
    );
    assert.equal(htmlToText('AT&T &lt;3'), 'AT&T <3');
  });

  it('is not idempotent: decoded markup is text', () => {
    assert.equal(htmlToText('a &lt;b&gt; c'), 'a <b> c');
  });

  it('hands tidy printable ASCII back as it is, and tidies ASCII with spaces to spare', () => {
    const tidy = 'Flood alert: 12 districts (Patna, Gaya) on "red" ~ #1';
    assert.equal(htmlToText(tidy), tidy);
    assert.equal(htmlToText(' a  b '), 'a b');
    assert.equal(htmlToText('a\u007Fb'), 'ab');
    assert.equal(htmlToText(''), '');
  });

  it('collapses every run of Unicode whitespace to one space and trims', () => {
    assert.equal(htmlToText('  a\t\n b\u00A0\u00A0c\u3000d\u2028e\u0085f  \r\n'), 'a b c d e f');
  });

  it('keeps a zero-width space between letters but absorbs it next to whitespace and at the ends', () => {
    assert.equal(htmlToText('\u200Ba \u200B b\u200Bc\u200B'), 'a b\u200Bc');
  });

  it('keeps ZWJ and ZWNJ, which shape Devanagari', () => {
    const text = 'क्\u200Dष र्\u200Cय';
    assert.equal(htmlToText(text), text);
  });

  it('removes control characters but not whitespace, and drops byte-order marks', () => {
    assert.equal(htmlToText('\uFEFFa\u0000b\u0007c\u001Fd\u007Fe\u009Ff\tg'), 'abcdef g');
  });

  it('replaces a lone surrogate with U+FFFD', () => {
    assert.equal(htmlToText('a\uD800b'), 'a\uFFFDb');
  });

  it('normalises to NFC', () => {
    assert.equal(htmlToText('caf\u0065\u0301'), 'caf\u00E9');
    // क़ (U+0958) is a composition exclusion: its NFC form is क + nukta.
    assert.equal(htmlToText('\u0958'), '\u0915\u093C');
    assert.equal(htmlToText('\u0915\u093C'), '\u0915\u093C'.normalize('NFC'));
  });

  it('keeps Devanagari and curly quotes byte for byte', () => {
    assert.equal(htmlToText(DEVANAGARI_TITLE), DEVANAGARI_TITLE);
    assert.equal(htmlToText(CURLY_TITLE), CURLY_TITLE);
  });

  it('never throws on broken markup', () => {
    const cases: [string, string][] = [
      ['', ''],
      ['<', '<'],
      ['<<>>', '<<>>'],
      ['a < b', 'a < b'],
      ['<p>unclosed', 'unclosed'],
      ['<script>never closed', ''],
      ['</div></p>x', 'x'],
      ['<!-- open comment', ''],
      ['&', '&'],
      ['&#x110000;', '\uFFFD'],
      ['<a href="x>y', ''],
    ];
    for (const [html, text] of cases) assert.equal(htmlToText(html), text, html);
  });

  it('handles megabyte inputs, deeply nested ones included, in linear time', () => {
    // No clock here (the machines are shared): quadratic work on these inputs would take minutes,
    // far past the suite's 20 s timeout, which is what catches it.
    const mb = 1 << 20;
    assert.equal(htmlToText('word '.repeat(200_000)).length, 1_000_000 - 1);
    assert.equal(htmlToText('<'.repeat(mb)).length, mb);
    assert.equal(htmlToText(`${'<b>'.repeat(mb / 3)}x`), 'x');
    assert.equal(htmlToText(`${'<div>'.repeat(mb / 5)}x`), 'x');
    assert.equal(htmlToText(`${'<template>'.repeat(mb / 10)}x`), '');
    assert.equal(htmlToText(`${'\u200B'.repeat(mb)}x`), 'x');
  });
});
