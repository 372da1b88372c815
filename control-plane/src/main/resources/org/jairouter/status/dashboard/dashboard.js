// The live dashboard: structure and health from /v1/status, traffic from /metrics, both polled. Rates
// and quantiles are computed over the scrapes of the last WINDOW_MILLIS, as rate() and
// histogram_quantile() over increase() would be in Prometheus.
import { parse, select, sum, increases, quantile, ModelIndex } from './prometheus.js';

const POLL_MILLIS = 2000;
const WINDOW_MILLIS = 10000;
const TTFT_BUCKETS = 'gen_ai_server_time_to_first_token_seconds_bucket';
const scrapes = [];

/** Refreshes, and always schedules the next refresh: one bad answer never stops the page. */
async function poll() {
  try {
    await refresh();
  } catch (error) {
    document.getElementById('availability').textContent = `Refresh failed: ${error.message}`;
  } finally {
    setTimeout(poll, POLL_MILLIS);
  }
}

async function refresh() {
  const [status, metrics] = await Promise.allSettled([read('/v1/status', r => r.json()), read('/metrics', r => r.text())]);
  if (metrics.status === 'fulfilled') {
    scrapes.push({ at: Date.now(), samples: parse(metrics.value) });
    while (scrapes[0].at < scrapes[scrapes.length - 1].at - WINDOW_MILLIS) scrapes.shift();
  } else {
    scrapes.length = 0;
  }
  const traffic = scrapes.length ? new Traffic(scrapes[0], scrapes[scrapes.length - 1]) : null;
  if (status.status === 'fulfilled') {
    render(status.value, traffic);
  }
  showState(status, metrics);
}

async function read(path, as) {
  const response = await fetch(path, { cache: 'no-store' });
  if (!response.ok) throw new Error(`${path} answered ${response.status}`);
  return as(response);
}

/** What the scrapes of the window say; figures are null until two scrapes span some time. */
class Traffic {
  constructor(earliest, latest) {
    this.latest = latest.samples;
    this.latestByModel = new ModelIndex(latest.samples);
    this.seconds = (latest.at - earliest.at) / 1000;
    this.increasedByModel = this.seconds > 0 ? new ModelIndex(increases(earliest.samples, latest.samples)) : null;
  }

  /** The figures of a model's or an instance's series, summed over all other labels. */
  of(match) {
    const inFlight = sum(this.latestByModel.select('jairouter_requests_in_flight', match));
    if (!this.increasedByModel) return { inFlight };
    const increase = (name, extra = {}) => sum(this.increasedByModel.select(name, { ...match, ...extra }));
    const requests = increase('jairouter_requests_total');
    const ttft = this.increasedByModel.select(TTFT_BUCKETS, match);
    return {
      inFlight,
      requestsPerSecond: requests / this.seconds,
      errorShare: requests > 0 ? increase('jairouter_requests_total', { code_class: '5xx' }) / requests : NaN,
      ttftP50: quantile(0.5, ttft),
      ttftP95: quantile(0.95, ttft),
      inputTokensPerSecond: increase('gen_ai_client_token_usage_sum', { gen_ai_token_type: 'input' }) / this.seconds,
      outputTokensPerSecond: increase('gen_ai_client_token_usage_sum', { gen_ai_token_type: 'output' }) / this.seconds,
    };
  }

  total(name, match = {}) {
    return sum(select(this.latest, name, match));
  }
}

function showState(status, metrics) {
  document.getElementById('updated').textContent = `Updated ${new Date().toLocaleTimeString()}.`;
  const parts = [];
  if (status.status === 'rejected') parts.push(`Status unavailable (${status.reason.message}); showing the last status read.`);
  parts.push(metrics.status === 'fulfilled'
    ? `Rates over the last ${WINDOW_MILLIS / 1000} s.`
    : `Metrics unavailable (${metrics.reason.message}): structure and health only.`);
  // A live region: announced when availability changes, not at every poll.
  const availability = document.getElementById('availability');
  if (availability.textContent !== parts.join(' ')) availability.textContent = parts.join(' ');
  document.body.classList.toggle('no-metrics', metrics.status !== 'fulfilled');
}

function render(status, traffic) {
  document.getElementById('config').replaceChildren(...configFacts(status.config));
  document.getElementById('envoys').replaceChildren(...envoyFacts(status.envoys, traffic));
  document.getElementById('services').replaceChildren(
    ...Object.values(status.services).map(service => serviceSection(service, traffic)));
}

function configFacts(config) {
  const inForce = config.in_force;
  const refused = config.last_refused;
  return [
    el('h2', {}, 'Config'),
    el('dl', {},
      ...fact('In force', inForce ? `version ${inForce.version}, applied ${time(inForce.at)}` : 'none yet'),
      ...fact('Source', inForce?.source ?? '—'),
      ...fact('Changes', inForce?.changes || '—'),
      ...fact('Last refused edit', refused
        ? [`${time(refused.at)}, the config in force stayed:`, el('ul', {}, ...refused.problems.map(p => el('li', {}, p)))]
        : 'none')),
  ];
}

function envoyFacts(envoys, traffic) {
  const facts = [
    ...fact('Envoys connected', envoys.length ? envoys.map(e => envoyLine(e)).join('; ') : 'none'),
  ];
  if (traffic) {
    facts.push(
      ...fact('Config reloads', `${traffic.total('jairouter_config_reloads_total', { result: 'applied' })} applied, `
        + `${traffic.total('jairouter_config_reloads_total', { result: 'refused' })} refused`),
      ...fact('Envoy NACKs', String(traffic.total('jairouter_envoy_nacks_total'))),
      ...fact('Envoy restarts', String(traffic.total('jairouter_envoy_restarts_total'))));
  }
  return [el('h2', {}, 'Envoys'), el('dl', {}, ...facts)];
}

function envoyLine(envoy) {
  const rejection = envoy.last_rejection;
  return `${envoy.node_id} since ${time(envoy.connected_at)}`
    + (rejection ? ` (last NACK ${time(rejection.at)}: ${rejection.resource_type}: ${rejection.message})` : '');
}

const COLUMNS = ['Weight', 'Health', 'In flight', 'Requests/s', 'Errors (5xx)', 'TTFT p50', 'TTFT p95',
  'Tokens/s in', 'Tokens/s out'];

function serviceSection(service, traffic) {
  const byModel = new Map();
  for (const instance of service.instances) {
    if (!byModel.has(instance.name)) byModel.set(instance.name, []);
    byModel.get(instance.name).push(instance);
  }
  const match = { service: service.service_type };
  return el('section', { 'aria-labelledby': `service-${service.service_type}` },
    el('h2', { id: `service-${service.service_type}` }, `${service.service_type} `, el('code', {}, service.path)),
    el('p', {}, `${service.load_balance_strategy} · health check ${service.health_check} · `
      + `${service.healthy_instances} of ${service.total_instances} instances healthy`),
    el('div', { class: 'scrolls' }, el('table', {},
      el('caption', {}, `${service.service_type}: models and their instances`),
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Model / instance'),
        ...COLUMNS.map(c => el('th', { scope: 'col' }, c)))),
      ...[...byModel].map(([model, instances]) => el('tbody', {},
        row('model', model, '', modelHealth(instances, service.live),
          traffic?.of({ ...match, gen_ai_request_model: model })),
        ...instances.map(instance => row('instance', [instance.base_url, el('small', {}, instance.path)],
          instanceWeight(instance), instanceHealth(instance),
          traffic?.of({ ...match, gen_ai_request_model: model, instance: instance.base_url }))))))));
}

function row(kind, name, weight, health, figures = {}) {
  return el('tr', { class: kind },
    el('th', { scope: 'row' }, name),
    el('td', { class: 'number' }, weight),
    el('td', { class: `health ${health.state}` }, health.text),
    el('td', { class: 'number' }, count(figures.inFlight)),
    el('td', { class: 'number' }, rate(figures.requestsPerSecond)),
    el('td', { class: 'number' }, percent(figures.errorShare)),
    el('td', { class: 'number' }, duration(figures.ttftP50)),
    el('td', { class: 'number' }, duration(figures.ttftP95)),
    el('td', { class: 'number' }, rate(figures.inputTokensPerSecond)),
    el('td', { class: 'number' }, rate(figures.outputTokensPerSecond)));
}

/** The configured weight; for load-aware instances, the weight Envoy uses and the load it comes from. */
function instanceWeight(instance) {
  const load = instance.load;
  if (!load) return String(instance.weight);
  const weight = known(load.envoy_weight) ? String(load.envoy_weight) : `${load.share_percent} %`;
  const signals = known(load.waiting)
    ? `${count(load.waiting)} waiting · ${count(load.running)} running · KV ${load.kv_cache_percent.toFixed(0)} %`
      + ` · ${duration(load.age_seconds)} ago`
    : 'never read';
  return [weight, el('small', { class: 'load' }, load.scrape_problem ? `${signals} · scrape failed` : signals)];
}

function instanceHealth(instance) {
  const reason = instance.unhealthy_reason;
  if (instance.status === 'inactive') return { state: 'inactive', text: '○ inactive' };
  if (instance.healthy === true) return { state: 'healthy', text: '✓ healthy' };
  if (instance.healthy === false) {
    return { state: 'unhealthy', text: reason ? ['✗ unhealthy: ', el('small', {}, reason)] : '✗ unhealthy' };
  }
  return { state: 'unknown', text: ['? unknown: ', el('small', {}, 'Envoy admin not readable')] };
}

function modelHealth(instances, live) {
  if (!live) return { state: 'unknown', text: '? unknown' };
  const healthy = instances.filter(i => i.healthy === true).length;
  const text = `${healthy} of ${instances.length} healthy`;
  return healthy > 0 ? { state: 'healthy', text: `✓ ${text}` } : { state: 'unhealthy', text: `✗ ${text}` };
}

const NO_DATA = '—';
const known = value => typeof value === 'number' && Number.isFinite(value);
const count = value => known(value) ? String(value) : NO_DATA;
const rate = value => known(value) ? value.toFixed(value < 10 ? 1 : 0) : NO_DATA;
const percent = value => known(value) ? `${(100 * value).toFixed(1)} %` : NO_DATA;
const duration = value => !known(value) ? NO_DATA : value < 1 ? `${Math.round(value * 1000)} ms` : `${value.toFixed(2)} s`;
const time = iso => new Date(iso).toLocaleString();

function fact(term, description) {
  return [el('dt', {}, term), el('dd', {}, ...[description].flat())];
}

/** An element with attributes and children (text or elements); text is never parsed as HTML. */
function el(tag, attributes, ...children) {
  const element = document.createElement(tag);
  Object.entries(attributes).forEach(([name, value]) => element.setAttribute(name, value));
  element.append(...children.flat());
  return element;
}

poll();
