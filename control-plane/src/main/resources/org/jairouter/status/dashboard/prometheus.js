// Reads Prometheus' text format and derives what a query over a short window would: increases of
// counters between two scrapes (reset-aware, as rate() is) and quantiles from histogram buckets (linear
// interpolation within a bucket, as histogram_quantile() does).

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\S+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"/g;
const ESCAPE = /\\(.)/g;
const ESCAPED = { n: '\n' };

/**
 * Every sample of a scrape: {series, name, labels, value}. {@code series} is the sample's text before
 * its value, which names the series (an exporter writes a series' labels in the same order each time).
 * Comments (# HELP, # TYPE) carry nothing we need.
 */
export function parse(text) {
  const samples = [];
  for (const line of text.split('\n')) {
    const match = line.trim().match(SAMPLE);
    if (match) {
      samples.push({
        series: match[1] + '{' + (match[2] ?? '') + '}', name: match[1], labels: parseLabels(match[2] ?? ''),
        value: parseValue(match[3]),
      });
    }
  }
  return samples;
}

function parseLabels(text) {
  const labels = {};
  for (const [, name, value] of text.matchAll(LABEL)) {
    labels[name] = value.includes('\\') ? value.replace(ESCAPE, (_, c) => ESCAPED[c] ?? c) : value;
  }
  return labels;
}

function parseValue(text) {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}

/** Samples whose labels include every entry of {@code match}. */
export function select(samples, name, match) {
  return samples.filter(s => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
}

/**
 * Samples grouped by metric, service and model, and by those and instance: a page of a thousand
 * instances selects from a few series per row instead of from the whole scrape.
 */
export class ModelIndex {
  constructor(samples) {
    this.groups = new Map();
    for (const s of samples) {
      const { service, gen_ai_request_model: model, instance } = s.labels;
      this.add(ModelIndex.key(s.name, service, model), s);
      if (instance !== undefined) this.add(ModelIndex.key(s.name, service, model, instance), s);
    }
  }

  static key(...parts) {
    return parts.join('\u0000');
  }

  add(key, sample) {
    if (!this.groups.has(key)) this.groups.set(key, []);
    this.groups.get(key).push(sample);
  }

  /** Like select(); {@code match} must name the service and the model, and may name the instance. */
  select(name, match) {
    const parts = [name, match.service, match.gen_ai_request_model];
    if (match.instance !== undefined) parts.push(match.instance);
    return select(this.groups.get(ModelIndex.key(...parts)) ?? [], name, match);
  }
}

export function sum(samples) {
  return samples.reduce((total, s) => total + s.value, 0);
}

/**
 * Each series' increase from an earlier scrape to a later one. A series whose value dropped was reset
 * (the control plane restarted): its whole later value counts, as in Prometheus.
 */
export function increases(earlier, later) {
  const before = new Map(earlier.map(s => [s.series, s.value]));
  return later.map(s => {
    const previous = before.get(s.series) ?? 0;
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
