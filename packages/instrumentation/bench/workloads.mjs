// The bench's workloads: what one tool call returns. Each result is
// distinct per call index, so no count cache serves it and the tokenizer
// really counts every call. Pure and deterministic: the bench's server
// builds a result from the index the client sent, and the bench rebuilds
// the same texts afterwards to check the token counts.
// To add a workload, add an entry to WORKLOADS.

const WORDS = 'context window token efficiency audit trail session server tool resource prompt latency payload envelope schema'.split(' ');
const PROSE = Array.from({ length: 300 }, (_, i) => WORDS[(i * 7) % WORDS.length]).join(' ');
const SHORT = 'a an at by do go if in is it me my no of on or so to up us we ok id'.split(' ');
const UNITS = 'row value count total state item price unit level block'.split(' ');

/** A small PRNG (mulberry32): the same index gives the same text in the server and in the check. */
function random(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** About 2 KB of prose-like words. */
function prose(i) {
  return `Result ${i}: ${PROSE}`.slice(0, 2048);
}

/** 2.6 KB of numbers and short words, about 720 o200k tokens: the tokenizer's worst ordinary case per byte. */
function dense(i) {
  const next = random(i + 1);
  let out = `Result ${i}:`;
  while (out.length < 2600) {
    const r = next();
    out += r < 0.22 ? ` ${Math.floor(next() * 1000)}` : r < 0.5 ? ` ${SHORT[Math.floor(next() * SHORT.length)]}` : ` ${UNITS[Math.floor(next() * UNITS.length)]}`;
  }
  return out.slice(0, 2600);
}

/** A JSON tool result: structuredContent, and its text form as the spec recommends. */
function jsonResult(i) {
  const next = random(i + 7);
  const items = Array.from({ length: 24 }, (_, k) => ({ id: `item-${i}-${k}`, score: Math.round(next() * 1e4) / 100, tags: [SHORT[k % SHORT.length], WORDS[(i + k) % WORDS.length]], ok: next() < 0.8 }));
  const structured = { query: `q${i}`, total: items.length, items };
  return { content: [{ type: 'text', text: JSON.stringify(structured) }], structuredContent: structured };
}

/** A 64 KB text: log-like lines, numbers and words (counted in chunks past 32 KB, as the core defines). */
function big(i) {
  const next = random(i + 13);
  const lines = [`Result ${i}:`];
  let size = lines[0].length;
  for (let n = 0; size < 65536; n++) {
    const line = `${n} ${WORDS[Math.floor(next() * WORDS.length)]} ${Math.floor(next() * 1e6)} ms ${WORDS[n % WORDS.length]} ${SHORT[Math.floor(next() * SHORT.length)]} status ok`;
    lines.push(line);
    size += line.length + 1;
  }
  return lines.join('\n').slice(0, 65536);
}

const text = (fn) => (i) => ({ content: [{ type: 'text', text: fn(i) }] });

/**
 * name -> { label, result(i): the CallToolResult of call i, texts(i): the
 * rendered texts whose tokens the core counts for it }.
 */
export const WORKLOADS = {
  dense: { label: '2.6 KB token-dense text', result: text(dense), texts: (i) => [dense(i)] },
  prose: { label: '2 KB prose', result: text(prose), texts: (i) => [prose(i)] },
  json: { label: 'JSON result (structuredContent + text)', result: jsonResult, texts: (i) => jsonTexts(jsonResult(i)) },
  big: { label: '64 KB text', result: text(big), texts: (i) => [big(i)] },
};

/** The texts the core's default rendering counts for a structured result: the text block and the structured content as JSON. */
function jsonTexts(result) {
  return [result.content[0].text, JSON.stringify(result.structuredContent)];
}
