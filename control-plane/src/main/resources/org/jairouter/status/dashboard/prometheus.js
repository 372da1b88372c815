// Reads Prometheus' text format and derives what a query over a short window would: increases of
// counters between two scrapes (reset-aware, as rate() is) and quantiles from histogram buckets (linear
// interpolation within a bucket, as histogram_quantile() does).

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\S+)?$/;
const ESCAPES = { '\\': '\\', '"': '"', n: '\n' };

/** Every sample of a scrape: {name, labels, value}. Comments (# HELP, # TYPE) carry nothing we need. */
export function parse(text) {
  const samples = [];
  for (const line of text.split('\n')) {
    const match = line.trim().match(SAMPLE);
    if (match) {
      samples.push({ name: match[1], labels: parseLabels(match[2] ?? ''), value: parseValue(match[3]) });
    }
  }
  return samples;
}

function parseLabels(text) {
  const labels = {};
  let i = 0;
  while (i < text.length) {
    const equals = text.indexOf('=', i);
    if (equals < 0) break;
    const name = text.slice(i, equals).replace(/^[\s,]+/, '').trim();
    let value = '';
    i = text.indexOf('"', equals) + 1;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\' && i + 1 < text.length) {
        i += 1;
        value += ESCAPES[text[i]] ?? '\\' + text[i];
      } else {
        value += text[i];
      }
      i += 1;
    }
    labels[name] = value;
    i += 1;
  }
  return labels;
}

function parseValue(text) {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}

function seriesKey(sample) {
  return sample.name + JSON.stringify(Object.entries(sample.labels).sort());
}

/** Samples whose labels include every entry of {@code match}. */
export function select(samples, name, match) {
  return samples.filter(s => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
}

export function sum(samples) {
  return samples.reduce((total, s) => total + s.value, 0);
}

/**
 * Each series' increase from an earlier scrape to a later one. A series whose value dropped was reset
 * (the control plane restarted): its whole later value counts, as in Prometheus.
 */
export function increases(earlier, later) {
  const before = new Map(earlier.map(s => [seriesKey(s), s.value]));
  return later.map(s => {
    const previous = before.get(seriesKey(s)) ?? 0;
    return { ...s, value: s.value >= previous ? s.value - previous : s.value };
  });
}

/**
 * The q-quantile of a histogram's bucket samples ({@code le} label, cumulative counts), summed per
 * bound over all series given. NaN when the buckets hold no observation.
 */
export function quantile(q, bucketSamples) {
  const byBound = new Map();
  for (const s of bucketSamples) {
    const bound = parseValue(s.labels.le);
    byBound.set(bound, (byBound.get(bound) ?? 0) + s.value);
  }
  const buckets = [...byBound].sort((a, b) => a[0] - b[0]);
  if (buckets.length < 2 || buckets[buckets.length - 1][0] !== Infinity) return NaN;
  const total = buckets[buckets.length - 1][1];
  if (total === 0) return NaN;
  const rank = q * total;
  const index = buckets.findIndex(([, count]) => count >= rank);
  if (index === buckets.length - 1) return buckets[buckets.length - 2][0];
  const [upper, count] = buckets[index];
  if (index === 0 && upper <= 0) return upper;
  const [lower, below] = index === 0 ? [0, 0] : buckets[index - 1];
  return lower + (upper - lower) * ((rank - below) / (count - below));
}
