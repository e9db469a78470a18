// Панель AiOne: кадри стану по WebSocket → таблиця активів, деталі символу з графіком, угоди.
// Сигнальний шлюз: колонки «Ранг» і «Запис типу», рядки watch (кандидат, якого бюджет не пропустив)
// приглушені й мають власний фільтр; у деталях — ранг з частинами, вердикт бюджету і запис типу.
// Життєвий цикл сигналу (issue 20): колонки «Стан сигналу» і «План сигналу» з `lifecycle` рядка —
// план видно й без угоди; скасований чи застарілий сигнал приглушений, з причиною, і не проходить
// фільтр «АКТИВНІ». Впевненість — `confidence_text` (виміряний запис або «оцінка 0.82»), не відсоток.
// Без збірки й без копійованих бібліотек: Plotly віддає сервер з установленого Python-пакета.
// Людські назви й усі рядки сторінки (uk/en) — з /api/config (`labels`, те саме джерело, що й у
// терміналі); мова — вибір користувача (localStorage) або `AIONE_UI_LOCALE`; наратив і тексти стану
// сигналу тією ж мовою беруться з кадру (`texts`), а не перекладаються тут.
// Запам'ятовуються між перезавантаженнями: сортування, фільтр, пошук, мова, таймфрейм, сповіщення.
"use strict";

// ── Стан сторінки ──
const STORE_KEY = "aione.ui.v1";
const state = {
  config: {
    stale_after_sec: 10, volume_column: "Оборот 24 год, USD", labels: {}, tick_size_map: {}, tick_size_brackets: [],
    tick_size_default: 1, buy_set: ["STRONG_BUY", "BUY_IN_DIPS"], sell_set: ["STRONG_SELL", "SELL_ON_RALLIES"],
    bars_default_n: 240, market: "um", timeframes: ["1m", "5m", "15m", "1h"], spark_minutes: 240, locale: null,
  },
  frame: null,          // останній отриманий кадр
  receivedAt: 0,        // Date.now() отримання останнього кадру
  pending: null,        // кадр, що чекає на малювання (малюється лише найсвіжіший)
  filter: "ALL",
  search: "",
  sortKey: null,        // null = порядок терміналу: алерти й відкриті угоди першими, далі впевненість
  sortDir: -1,
  locale: null,         // мова, обрана користувачем (null — типова з сервера)
  tf: "1m",             // таймфрейм графіка
  notify: false,        // сповіщення про новий сигнал з найвищим рангом
  topSignal: undefined, // id найвищого сигналу, про який уже відомо (undefined — ще не бачили кадру)
  selected: null,       // обраний символ
  bars: null,           // бари графіка обраного символу
  barsError: "",
  barsFetchedAt: 0,
  sparks: {},           // символ → закриття останніх годин
  sparksFetchedAt: 0,
  ws: null,
  connected: false,
  retryDelay: 500,
  retryAt: 0,
};

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 15000;
const BARS_REFRESH_MS = 15000;
const SPARKS_REFRESH_MS = 60000;
const LEVELS_PER_SIDE = 3;
const DASH = "-";
const WATCH = "watch";
const LIVE_STATES = ["new", "active", "triggered"];
const FILTERS = [
  ["ALL", "f_all"], ["ACTIVE", "f_active"], ["ALERT", "f_alert"], ["BUY", "f_buy"], ["SELL", "f_sell"],
  ["SIGNAL", "f_signal"], ["WATCH", "f_watch"],
];
// Котировані валюти для адреси спотової пари на Binance (BTCUSDT → BTC_USDT).
const QUOTES = ["FDUSD", "USDT", "USDC", "BUSD", "TUSD", "BTC", "ETH", "BNB", "TRY", "EUR", "BRL"];

// ── Збереження вибору ──
function loadPrefs() {
  try {
    const saved = JSON.parse(localStorage.getItem(STORE_KEY) || "{}");
    if (typeof saved.filter === "string") state.filter = saved.filter;
    if (typeof saved.search === "string") state.search = saved.search;
    if (typeof saved.sortKey === "string") state.sortKey = saved.sortKey;
    if (saved.sortDir === 1 || saved.sortDir === -1) state.sortDir = saved.sortDir;
    if (typeof saved.locale === "string") state.locale = saved.locale;
    if (typeof saved.tf === "string") state.tf = saved.tf;
    state.notify = saved.notify === true;
  } catch (err) {
    // зіпсований або недоступний localStorage: лишаються типові значення
  }
}

function savePrefs() {
  const prefs = {
    filter: state.filter, search: state.search, sortKey: state.sortKey, sortDir: state.sortDir,
    locale: state.locale, tf: state.tf, notify: state.notify,
  };
  try {
    localStorage.setItem(STORE_KEY, JSON.stringify(prefs));
  } catch (err) {
    // приватний режим без сховища: вибір діє до перезавантаження
  }
}

// ── Мова й людські назви ──
function locale() {
  const labels = state.config.labels || {};
  const known = labels.locales || ["uk", "en"];
  for (const wanted of [state.locale, state.config.locale, labels.default_locale, state.frame && state.frame.meta && state.frame.meta.locale]) {
    if (typeof wanted === "string" && known.includes(wanted)) return wanted;
  }
  return "uk";
}

// Рядок сторінки мовою сторінки: t("shown", {n: 3, m: 8}).
function t(key, vars) {
  const page = (state.config.labels || {}).page || {};
  let text = (page[locale()] || {})[key] ?? (page.uk || {})[key] ?? key;
  for (const [k, v] of Object.entries(vars || {})) text = text.replace(`{${k}}`, String(v));
  return text;
}

// Назва коду з таблиці `labels[kind][locale]`; невідомий код — як є.
function label(kind, code) {
  if (code === null || code === undefined || code === "") return "";
  const table = ((state.config.labels || {})[kind] || {})[locale()] || {};
  return table[code] || String(code);
}

function columnHelp(key) {
  return label("column_help", key) === key ? "" : label("column_help", key);
}

// Текст рядка мовою сторінки: `texts[locale][key]`, інакше поле рядка (мова агрегатора).
function rowText(a, key) {
  const texts = a && a.texts && typeof a.texts === "object" ? a.texts[locale()] : null;
  const value = texts && typeof texts[key] === "string" && texts[key] ? texts[key] : a && a[key];
  return typeof value === "string" && value ? value : null;
}

function lifeText(life, key) {
  if (!life) return null;
  const texts = life.texts && typeof life.texts === "object" ? life.texts[locale()] : null;
  const value = texts && typeof texts[key] === "string" && texts[key] ? texts[key] : life[key];
  return typeof value === "string" && value ? value : null;
}

// Наслідок угоди: sl_hit з трейлінгом (або в прибутку, коли прапорця немає) — «трейлінг-стоп, +0.40 %».
function outcomeKey(reason, pnl, trailing, breakeven) {
  if (reason !== "sl_hit") return reason;
  if (trailing === true || ((trailing === null || trailing === undefined) && num(pnl) !== null && pnl > 0)) return "trailing_stop";
  if (breakeven === true) return "breakeven_stop";
  return reason;
}

function outcomeText(reason, pnl, trailing, breakeven) {
  if (!reason) return "";
  const name = label("outcome", outcomeKey(String(reason), pnl, trailing, breakeven));
  const x = num(pnl);
  return x === null ? name : `${name}, ${x > 0 ? "+" : ""}${x.toFixed(2)} %`;
}

function fmtClock(ms) {
  const x = num(ms);
  return x === null ? DASH : new Date(x).toISOString().replace("T", " ").slice(0, 19) + " UTC";
}

// Позначка демо з meta кадру: «ДЕМО · симуляція ×300 над записаними барами · час ринку …».
function demoMarker(frame) {
  const meta = frame && frame.meta;
  if (!meta || meta.mode !== "demo") return "";
  const tpl = ((state.config.labels || {}).demo || {})[locale()] || "DEMO ×{speed} · {clock}";
  const speed = num(meta.speed);
  return tpl.replace("{speed}", speed === null ? "?" : String(speed)).replace("{clock}", fmtClock(meta.market_clock_ms));
}

// Рядок живого виконання з meta.execution (той самий, що в терміналі: ui.labels.execution_line).
function executionLine(frame) {
  const ex = frame && frame.meta && frame.meta.execution;
  if (!ex || typeof ex !== "object") return "";
  const labels = state.config.labels || {};
  const words = (labels.execution || {})[locale()] || {};
  const dash = (v) => (v === undefined || v === null || v === "" ? "-" : String(v));
  const fill = (tpl, vals) => String(tpl || "").replace(/\{(\w+)\}/g, (_, k) => (k in vals ? vals[k] : ""));
  const parts = [fill(words.head || "EXECUTION {mode} · {env}", {
    mode: dash(ex.mode), env: dash(ex.env), positions: dash(ex.open_positions), orders: dash(ex.orders),
    fills: dash(ex.fills), blocked: dash(ex.blocked),
  })];
  if (ex.kill === true) parts.push(words.kill || "kill switch");
  const events = Array.isArray(ex.events) ? ex.events : [];
  const last = events.length ? events[events.length - 1] : null;
  if (last && typeof last === "object") {
    const ts = num(last.ts);
    const time = ts === null ? "-" : new Date(ts).toISOString().slice(11, 19);
    const kind = ((labels.execution_kind || {})[locale()] || {})[last.kind] || String(last.kind || "");
    const text = fill(words.last || "{time} {symbol} {kind} {text}", {
      time, symbol: last.symbol || "", kind, text: last.text || "",
    });
    parts.push(text.split(/\s+/).filter(Boolean).join(" "));
  }
  return parts.join(" · ");
}

// ── Форматування ──
function esc(value) {
  return String(value).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

function num(v) {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

function tickFor(asset) {
  const known = num(asset.tick_size);
  if (known && known > 0) return known;
  const map = state.config.tick_size_map || {};
  if (asset.symbol in map) return map[asset.symbol];
  const price = num(asset.price);
  if (price !== null && price > 0) {
    for (const [upper, tick] of state.config.tick_size_brackets || []) {
      if (price < upper) return tick;
    }
  }
  return state.config.tick_size_default || 1;
}

function tickDecimals(tick) {
  if (!(tick > 0)) return 8;
  return Math.max(0, Math.min(12, -Math.floor(Math.log10(tick) + 1e-9)));
}

function fmtPrice(v, tick) {
  const x = num(v);
  return x === null ? DASH : x.toFixed(tickDecimals(tick));
}

function fmtPct(v, digits = 2, signed = false) {
  const x = num(v);
  if (x === null) return DASH;
  return (signed && x > 0 ? "+" : "") + x.toFixed(digits) + "%";
}

function fmtNum(v, digits = 1) {
  const x = num(v);
  return x === null ? DASH : x.toFixed(digits);
}

function fmtCompact(v) {
  const x = num(v);
  if (x === null) return DASH;
  const abs = Math.abs(x);
  if (abs >= 1e9) return (x / 1e9).toFixed(2) + "B";
  if (abs >= 1e6) return (x / 1e6).toFixed(2) + "M";
  if (abs >= 1e3) return (x / 1e3).toFixed(1) + "K";
  return x.toFixed(0);
}

// Впевненість словами: виміряний запис («TP першим у 31 % з 412 схожих випадків») або «оцінка 0.82».
// Сире число без підпису не показується: це оцінка, не ймовірність.
function confidenceText(a) {
  const text = rowText(a, "confidence_text");
  if (text) return text;
  const x = num(a.confidence);
  return x === null ? DASH : (locale() === "en" ? "score " : "оцінка ") + (x <= 1 ? x : x / 100).toFixed(2);
}

function fmtAge(sec) {
  const x = num(sec);
  if (x === null) return "";
  if (x < 60) return `${Math.round(x)} ${t("sec")}`;
  if (x < 3600) return `${Math.floor(x / 60)} ${t("min")}`;
  return `${Math.floor(x / 3600)} ${t("h")} ${Math.floor((x % 3600) / 60)} ${t("min")}`;
}

// Ранг рядка: число [0, 1] або об'єкт частин рангу з полем score.
function rankScore(a) {
  const r = a.rank;
  return r && typeof r === "object" ? num(r.score) : num(r);
}

function rankParts(a) {
  if (a.rank_parts && typeof a.rank_parts === "object") return a.rank_parts;
  return a.rank && typeof a.rank === "object" ? a.rank : null;
}

function fmtRank(a) {
  const x = rankScore(a);
  return x === null ? DASH : x.toFixed(2);
}

function recordOf(a) {
  const r = a.record;
  return r && typeof r === "object" && num(r.cases) !== null && r.cases > 0 ? r : null;
}

// Стислий запис типу для таблиці: «412 · TP 31% · +0.12%».
function recordShort(a) {
  const r = recordOf(a);
  if (!r) return DASH;
  const rate = num(r.tp_first_rate);
  return `${r.cases} · TP ${rate === null ? DASH : (rate * 100).toFixed(0) + "%"} · ${fmtPct(r.median_move_pct, 2, true)}`;
}

// Повне речення запису для деталей (як у поясненні Stage2).
function recordSentence(a) {
  const r = recordOf(a);
  if (!r) return a.signal_kind ? t("record_none") : DASH;
  const rate = num(r.tp_first_rate);
  const move = num(r.median_move_pct);
  return t("record_sentence", {
    cases: r.cases, rate: rate === null ? "—" : (rate * 100).toFixed(0) + " %",
    h: num(r.horizon_min) || 60, move: move === null ? "—" : (move > 0 ? "+" : "") + move.toFixed(2) + " %",
  });
}

function reasonLabel(reason) {
  return reason ? label("budget_reason", reason) : DASH;
}

function verdictText(a) {
  if (a.surfaced === true) return label("budget_verdict", a.budget_reason || "promoted");
  if (a.surfaced === false) {
    const text = label("budget_verdict", a.budget_reason);
    return text && text !== a.budget_reason ? text : `watch: ${reasonLabel(a.budget_reason)}`;
  }
  return label("budget_verdict", "none");
}

function fmtTime(v) {
  const x = num(v);
  if (x === null) return DASH;
  const d = new Date(x > 1e11 ? x : x * 1000);
  return d.toISOString().replace("T", " ").slice(0, 16);
}

// ── Класифікація сигналу ──
function side(asset) {
  const rec = String(asset.recommendation || "").toUpperCase();
  const sig = String(asset.signal || "").toUpperCase();
  if (state.config.buy_set.includes(rec) || state.config.buy_set.includes(sig) || sig === "BUY") return "BUY";
  if (state.config.sell_set.includes(rec) || state.config.sell_set.includes(sig) || sig === "SELL") return "SELL";
  return null;
}

function isWatch(asset) {
  return String(asset.state || "").toLowerCase() === WATCH;
}

function isSignal(asset) {
  return asset.surfaced === true && !isWatch(asset);
}

function isAlert(asset) {
  return String(asset.signal || "").toUpperCase() === "ALERT" || String(asset.state || "").toLowerCase() === "alert";
}

function hasOpenTrade(asset) {
  return String(asset.trade_status || "").toLowerCase() === "open";
}

function lifecycleOf(asset) {
  const life = asset.lifecycle;
  return life && typeof life === "object" && typeof life.state === "string" ? life : null;
}

// Сигнал, чий план ще чинний (новий, чекає входу, у роботі).
function isLive(asset) {
  const life = lifecycleOf(asset);
  return life !== null && life.final !== true && LIVE_STATES.includes(life.state);
}

// Сигнал скасовано або він застарів: рядок приглушений, з причиною.
function isEnded(asset) {
  const life = lifecycleOf(asset);
  return life !== null && (life.state === "invalidated" || life.state === "expired");
}

function passesFilter(asset) {
  switch (state.filter) {
    case "ACTIVE": return isLive(asset);
    case "ALERT": return isAlert(asset);
    case "BUY": return side(asset) === "BUY";
    case "SELL": return side(asset) === "SELL";
    case "SIGNAL": return isSignal(asset);
    case "WATCH": return isWatch(asset);
    default: return true;
  }
}

function passesSearch(asset) {
  const q = state.search.trim().toUpperCase();
  return !q || String(asset.symbol || "").toUpperCase().includes(q);
}

function rowClass(asset) {
  const s = side(asset);
  const base = s === "BUY" ? "buy" : s === "SELL" ? "sell" : isWatch(asset) ? "watch" : isAlert(asset) ? "alert" : "";
  return [base, isEnded(asset) ? "ended" : "", lifecycleOf(asset) && lifecycleOf(asset).final === true ? "final" : "",
    asset.stale === true ? "feed-stale-row" : ""]
    .filter(Boolean).join(" ");
}

// ── Колонки таблиці ──
function signalText(a) {
  if (isWatch(a)) return `${WATCH} · ${reasonLabel(a.budget_reason)}`;
  const rec = a.recommendation ? label("recommendation", String(a.recommendation)) : "";
  const sig = a.signal ? String(a.signal) : "";
  if (rec && sig.toUpperCase() === "NORMAL") return rec; // звичайний стан не варто місця в рядку
  if (rec && sig) return label("signal", sig) + " · " + rec;
  return rec || label("signal", sig) || DASH;
}

function tradeText(a) {
  const st = a.trade_status ? String(a.trade_status) : "";
  const pnl = num(a.pnl_pct);
  if (!st && pnl === null) return DASH;
  const sideText = a.trade_side ? label("side", String(a.trade_side)) + " · " : "";
  if (st === "closed" && a.close_reason) return sideText + outcomeText(a.close_reason, pnl, a.trailing, a.breakeven);
  return sideText + (label("status", st) || DASH) + (pnl === null ? "" : " " + fmtPct(pnl, 2, true));
}

function triggersText(a) {
  return Array.isArray(a.triggers) && a.triggers.length ? a.triggers.join(", ") : DASH;
}

// Стан сигналу: для чинного — назва стану й вік, для завершеного — текст з причиною.
function lifeStateText(a) {
  const life = lifecycleOf(a);
  if (!life) return DASH;
  const name = label("lifecycle", life.state);
  if (life.final === true) return lifeText(life, "text") || name;
  const age = fmtAge(life.age_sec);
  return age ? `${name} · ${age}` : name;
}

// План сигналу: «0.3726–0.3735 → TP 0.3623 · SL 0.3761 · R/R 2.0».
function planText(a) {
  const life = lifecycleOf(a);
  const plan = life && life.plan;
  if (!plan) return DASH;
  const tick = tickFor(a);
  const lo = fmtPrice(plan.entry_lo, tick);
  const hi = fmtPrice(plan.entry_hi, tick);
  const entry = lo === hi ? lo : `${lo}–${hi}`;
  const rr = num(plan.rr_net);
  const sideText = life.side ? label("side", life.side) + " " : "";
  return `${sideText}${entry} → TP ${fmtPrice(plan.tp, tick)} · SL ${fmtPrice(plan.sl, tick)}${rr === null ? "" : " · R/R " + rr.toFixed(2)}`;
}

function sparkSvg(symbol) {
  const pts = (state.sparks[symbol] || []).filter((x) => num(x) !== null);
  if (pts.length < 2) return `<span class="muted">${DASH}</span>`;
  const lo = Math.min(...pts);
  const hi = Math.max(...pts);
  const w = 72;
  const h = 18;
  const span = hi - lo || 1;
  const coords = pts.map((p, i) => `${((i / (pts.length - 1)) * w).toFixed(1)},${(h - 1 - ((p - lo) / span) * (h - 2)).toFixed(1)}`);
  const up = pts[pts.length - 1] >= pts[0];
  return `<svg class="spark ${up ? "up" : "down"}" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" aria-hidden="true">`
    + `<polyline fill="none" stroke="currentColor" stroke-width="1.2" points="${coords.join(" ")}"/></svg>`;
}

// `opt` — колонка, яку картка на вузькому екрані ховає (лишаються символ, ціна, зміна, сигнал, стан, план, впевненість, угода).
const COLUMNS = [
  { key: "symbol", label: "col_symbol", sort: (a) => a.symbol || "",
    cell: (a) => esc(a.symbol || DASH) + (a.stale === true
      ? ` <span class="feed-stale" title="${esc(a.stale_reason || "")}">⚠</span>` : "") },
  { key: "price", label: "col_price", num: true, sort: (a) => num(a.price), cell: (a) => fmtPrice(a.price, tickFor(a)) },
  {
    key: "price_change_pct", label: "col_change", help: "price_change_pct", num: true, sort: (a) => num(a.price_change_pct),
    cell: (a) => `<span class="${(num(a.price_change_pct) || 0) >= 0 ? "up" : "down"}">${fmtPct(a.price_change_pct, 2, true)}</span>`,
  },
  {
    key: "turnover_24h_usd", label: "col_turnover", help: "turnover_24h_usd", num: true, opt: true, sort: (a) => num(a.turnover_24h_usd),
    cell: (a) => fmtCompact(a.turnover_24h_usd),
  },
  { key: "atr_pct", label: "col_atr", num: true, opt: true, sort: (a) => num(a.atr_pct), cell: (a) => fmtPct(a.atr_pct) },
  { key: "rsi", label: "col_rsi", num: true, opt: true, sort: (a) => num(a.rsi), cell: (a) => fmtNum(a.rsi) },
  { key: "spark", label: "col_spark", nosort: true, sort: () => null, cell: (a) => sparkSvg(a.symbol) },
  { key: "triggers", label: "col_triggers", opt: true, sort: (a) => (Array.isArray(a.triggers) ? a.triggers.length : 0), cell: (a) => `<span class="triggers">${esc(triggersText(a))}</span>` },
  {
    key: "signal", label: "col_signal", sort: (a) => signalText(a),
    cell: (a) => `<span class="wrap${isWatch(a) ? " watch-tag" : ""}">${esc(signalText(a))}</span>`,
  },
  {
    key: "lifecycle", label: "col_life", sort: (a) => (lifecycleOf(a) ? lifecycleOf(a).issued_ts : null),
    cell: (a) => `<span class="life wrap ${esc(lifecycleOf(a) ? lifecycleOf(a).state : "")}">${esc(lifeStateText(a))}</span>`,
  },
  { key: "plan", label: "col_plan", sort: (a) => (lifecycleOf(a) && lifecycleOf(a).plan ? num(lifecycleOf(a).plan.rr_net) : null), cell: (a) => `<span class="plan">${esc(planText(a))}</span>` },
  { key: "confidence", label: "col_confidence", sort: (a) => num(a.confidence), cell: (a) => `<span class="conf wrap">${esc(confidenceText(a))}</span>` },
  {
    key: "rank", label: "col_rank", help: "rank", num: true, opt: true, sort: (a) => rankScore(a),
    cell: (a) => `<span class="rank">${fmtRank(a)}</span>`,
  },
  {
    key: "record", label: "col_record", help: "record", opt: true,
    sort: (a) => { const r = recordOf(a); return r ? r.cases : null; },
    cell: (a) => `<span class="record">${esc(recordShort(a))}</span>`,
  },
  {
    key: "tp_sl", label: "col_tp_sl", num: true, opt: true, sort: (a) => num(a.tp),
    cell: (a) => (num(a.tp) === null && num(a.sl) === null ? DASH
      : `<span class="up">${fmtPrice(a.tp, tickFor(a))}</span><br><span class="down">${fmtPrice(a.sl, tickFor(a))}</span>`),
  },
  {
    key: "trade", label: "col_trade", sort: (a) => num(a.pnl_pct),
    cell: (a) => `<span class="${(num(a.pnl_pct) || 0) >= 0 ? "up" : "down"}">${esc(tradeText(a))}</span>`,
  },
  { key: "band_pct", label: "col_band", help: "band_pct", num: true, opt: true, sort: (a) => num(a.band_pct), cell: (a) => fmtPct(a.band_pct) },
  {
    key: "deriv", label: "col_deriv", help: "deriv", opt: true, sort: (a) => (a.deriv ? num(a.deriv.oi_change_15m_pct) : null),
    cell: (a) => `<span class="deriv">${esc(derivText(a))}</span>`,
  },
];

// Деривативи рядка: дисбаланс книги (⚠ — застаріла), зміна OI за 15 хв, ставка фінансування.
function derivText(a) {
  const d = a.deriv;
  if (!d) return DASH;
  const parts = [];
  const imb = num(d.book_imbalance), oi = num(d.oi_change_15m_pct), rate = num(d.funding_rate);
  if (imb !== null) parts.push(`${imb >= 0 ? "+" : ""}${imb.toFixed(2)}${d.book_state === "stale" ? "⚠" : ""}`);
  if (oi !== null) parts.push(`OI ${oi >= 0 ? "+" : ""}${oi.toFixed(1)}%`);
  if (rate !== null) parts.push(`${(rate * 100).toFixed(3)}%`);
  return parts.length ? parts.join(" · ") : DASH;
}

function colLabel(c) {
  return c.key === "turnover_24h_usd" && locale() === "uk" ? state.config.volume_column || t(c.label) : t(c.label);
}

function defaultOrder(a, b) {
  const pa = (isAlert(a) || side(a) ? 1 : 0) + (hasOpenTrade(a) ? 1 : 0) + (isLive(a) ? 1 : 0);
  const pb = (isAlert(b) || side(b) ? 1 : 0) + (hasOpenTrade(b) ? 1 : 0) + (isLive(b) ? 1 : 0);
  if (pa !== pb) return pb - pa;
  return (num(b.confidence) ?? -1) - (num(a.confidence) ?? -1);
}

function sortedAssets(assets) {
  const rows = assets.filter((a) => a && typeof a === "object" && passesFilter(a) && passesSearch(a));
  const col = state.sortKey ? COLUMNS.find((c) => c.key === state.sortKey) : null;
  if (!col) return rows.sort(defaultOrder);
  return rows.sort((a, b) => {
    const va = col.sort(a);
    const vb = col.sort(b);
    if (va === null && vb === null) return 0;
    if (va === null) return 1; // порожні значення завжди внизу
    if (vb === null) return -1;
    if (typeof va === "string") return state.sortDir * va.localeCompare(vb);
    return state.sortDir * (va - vb);
  });
}

// ── Малювання таблиці ──
function renderHead() {
  const head = document.getElementById("assets-head");
  head.innerHTML = COLUMNS.map((c) => {
    const mark = state.sortKey === c.key ? (state.sortDir > 0 ? " ▲" : " ▼") : "";
    const help = c.help ? columnHelp(c.help) : "";
    const title = help ? ` title="${esc(help)}"` : "";
    const cls = [c.num ? "num" : "", c.opt ? "opt" : "", c.nosort ? "nosort" : ""].filter(Boolean).join(" ");
    return `<th data-key="${c.key}" class="${cls}"${title}>${esc(colLabel(c))}${mark}</th>`;
  }).join("");
}

function renderTable(frame) {
  const assets = Array.isArray(frame.assets) ? frame.assets : [];
  const rows = sortedAssets(assets);
  const body = document.getElementById("assets-body");
  if (!rows.length) {
    body.innerHTML = `<tr class="placeholder"><td colspan="${COLUMNS.length}">${esc(t("none_for_filter", { f: state.filter + (state.search ? " · " + state.search : "") }))}</td></tr>`;
  } else {
    body.innerHTML = rows.map((a) => {
      const cls = [rowClass(a), a.symbol === state.selected ? "selected" : ""].join(" ");
      const cells = COLUMNS.map((c) => {
        const html = c.cell(a);
        const empty = html === DASH || html.endsWith(`>${DASH}</span>`);
        const tdCls = [c.num ? "num" : "", c.opt ? "opt" : "", empty ? "empty" : "", "c-" + c.key].filter(Boolean).join(" ");
        return `<td class="${tdCls}" data-label="${esc(colLabel(c))}">${html}</td>`;
      }).join("");
      const life = lifecycleOf(a);
      const why = isEnded(a) ? ` title="${esc(lifeText(life, "text") || "")}"` : "";
      return `<tr class="${cls}" data-symbol="${esc(a.symbol || "")}"${why}>${cells}</tr>`;
    }).join("");
  }
  document.getElementById("shown").textContent = t("shown", { n: rows.length, m: assets.length });
}

function renderHeader(frame) {
  const seq = document.getElementById("seq");
  seq.textContent = "seq " + (frame.seq ?? DASH);
  seq.title = columnHelp("seq");
  const mode = document.getElementById("mode");
  const marker = demoMarker(frame);
  mode.textContent = marker;
  mode.classList.toggle("hidden", !marker);
  const exec = document.getElementById("execution");
  const execText = executionLine(frame);
  exec.textContent = execText; // textContent: текст подій брокера не стає розміткою
  exec.classList.toggle("hidden", !execText);
  exec.classList.toggle("kill", Boolean(frame.meta && frame.meta.execution && frame.meta.execution.kill === true));
  const c = frame.counters && typeof frame.counters === "object" ? frame.counters : {};
  const parts = [];
  const names = {
    assets: t("c_assets"), alerts: t("c_alerts"), buy: "buy", sell: "sell", signals: t("c_signals"), watch: WATCH,
    open_trades: t("c_open"), pending_trades: t("c_pending"),
  };
  for (const [key, name] of Object.entries(names)) {
    if (key in c) parts.push(`${esc(name)}: ${esc(c[key])}`);
  }
  document.getElementById("counters").innerHTML = parts.join(" · ");
}

// Незмінні підписи сторінки мовою сторінки (після зміни мови — заново).
function renderStatic() {
  document.documentElement.lang = locale();
  document.title = t("title");
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
  for (const el of document.querySelectorAll("[data-t-title]")) el.title = t(el.dataset.tTitle);
  const search = document.getElementById("search");
  search.placeholder = t("search");
  search.setAttribute("aria-label", t("search"));
  if (search.value !== state.search) search.value = state.search;
  document.getElementById("filters-buttons").innerHTML = FILTERS.map(([code, key]) => {
    const title = code === "ACTIVE" ? ` title="${esc(t("f_active_help"))}"` : "";
    return `<button type="button" data-filter="${code}" class="${state.filter === code ? "active" : ""}"${title}>${esc(t(key))}</button>`;
  }).join("");
  for (const b of document.querySelectorAll("#lang button")) b.classList.toggle("active", b.dataset.lang === locale());
  for (const b of document.querySelectorAll("#tf button")) b.classList.toggle("active", b.dataset.tf === state.tf);
  const bell = document.getElementById("notify");
  bell.textContent = state.notify ? t("notify_on") : t("notify_off");
  bell.classList.toggle("active", state.notify);
  bell.title = t("notify_help");
  renderHead();
}

// ── Угоди ──
function tradesOf(frame) {
  const tr = frame && frame.trades && typeof frame.trades === "object" ? frame.trades : {};
  return { open: Array.isArray(tr.open) ? tr.open : [], recent: Array.isArray(tr.recent) ? tr.recent : [] };
}

function tradeTick(trade) {
  if (num(trade.tick_size) > 0) return trade.tick_size;
  const asset = assetBySymbol(trade.symbol) || { symbol: trade.symbol, price: num(trade.entry_price ?? trade.entry) };
  return tickFor(asset);
}

// compact — для панелі деталей: без символу, TP і SL (вони вже показані вище).
function tradesTable(trades, closed, compact = false) {
  if (!trades.length) return `<p class="muted">${esc(t("none"))}</p>`;
  const keep = (list) => (compact ? list.filter((_, i) => ![0, 3, 4].includes(i)) : list);
  const head = [t("t_symbol"), t("t_side"), t("t_entry"), "TP", "SL", closed ? t("t_exit") : t("t_price"), "PnL", t("t_status"), closed ? t("t_closed") : t("t_opened")];
  const rows = trades.map((tr) => {
    const tick = tradeTick(tr);
    const pnl = num(tr.pnl_pct);
    const last = closed ? tr.exit_price : (tr.last_price ?? tr.current_price);
    const when = closed ? (tr.closed_at ?? tr.exit_ts) : (tr.opened_at ?? tr.entry_ts);
    const cells = [
      esc(tr.symbol || DASH), esc(label("side", tr.side || tr.direction) || DASH), fmtPrice(tr.entry ?? tr.entry_price, tick),
      fmtPrice(tr.tp, tick), fmtPrice(tr.sl, tick), fmtPrice(last, tick),
      `<span class="${(pnl || 0) >= 0 ? "up" : "down"}">${fmtPct(pnl, 2, true)}</span>`,
      esc((closed && tr.close_reason ? outcomeText(tr.close_reason, pnl, tr.trailing, tr.breakeven) : label("status", tr.status)) || DASH),
      fmtTime(when),
    ];
    return `<tr data-symbol="${esc(tr.symbol || "")}">${keep(cells).map((c) => `<td>${c}</td>`).join("")}</tr>`;
  }).join("");
  const heads = keep(head).map((h) => `<th>${esc(h)}</th>`).join("");
  return `<table class="small"><thead><tr>${heads}</tr></thead><tbody>${rows}</tbody></table>`;
}

function renderTrades(frame) {
  const tr = tradesOf(frame);
  document.getElementById("trades-open").innerHTML = tradesTable(tr.open, false);
  document.getElementById("trades-recent").innerHTML = tradesTable(tr.recent, true);
}

// ── Деталі символу ──
function assetBySymbol(symbol) {
  const assets = state.frame && Array.isArray(state.frame.assets) ? state.frame.assets : [];
  return assets.find((a) => a && a.symbol === symbol) || null;
}

function narrativeText(a) {
  const text = rowText(a, "narrative");
  if (text) return text;
  const n = a.narrative;
  if (Array.isArray(n)) return n.join(" ");
  if (n && typeof n === "object") return n[locale()] || n.text || n.uk || n.en || DASH;
  return DASH;
}

// Адреса символу на Binance: ф'ючерси (um) — /futures/BTCUSDT, спот — /trade/BTC_USDT.
function binanceUrl(symbol) {
  const s = String(symbol || "").toUpperCase();
  if (state.config.market === "spot") {
    const quote = QUOTES.find((q) => s.endsWith(q) && s.length > q.length);
    const pair = quote ? `${s.slice(0, -quote.length)}_${quote}` : s;
    return `https://www.binance.com/en/trade/${encodeURIComponent(pair)}?type=spot`;
  }
  return `https://www.binance.com/en/futures/${encodeURIComponent(s)}`;
}

// Рівні для показу: не більше трьох на бік, від найближчого до ціни (кадр уже відібрав, тут — запобіжник).
function drawnLevels(asset) {
  const out = [];
  const seen = { support: 0, resistance: 0, other: 0 };
  for (const l of Array.isArray(asset.levels) ? asset.levels : []) {
    if (!l || num(l.price) === null) continue;
    const kind = String(l.kind || "");
    const sideKey = kind.startsWith("sup") ? "support" : kind.startsWith("res") ? "resistance" : "other";
    if (seen[sideKey] >= LEVELS_PER_SIDE) continue;
    seen[sideKey] += 1;
    out.push({ ...l, side: sideKey });
  }
  return out;
}

function levelText(l, tick) {
  const kind = label("level_kind", l.side === "other" ? l.kind : l.side) || t("level");
  const zone = num(l.lo) !== null && num(l.hi) !== null && l.lo !== l.hi ? ` (${fmtPrice(l.lo, tick)}–${fmtPrice(l.hi, tick)})` : "";
  const dist = num(l.distance_pct) === null ? "" : ` · ${fmtPct(l.distance_pct)}`;
  return `${kind} ${fmtPrice(l.price, tick)}${zone}${dist}`;
}

function renderDetail() {
  const panel = document.getElementById("detail");
  if (!state.selected) {
    panel.classList.add("hidden");
    return;
  }
  panel.classList.remove("hidden");
  const a = assetBySymbol(state.selected) || { symbol: state.selected };
  const tick = tickFor(a);
  const tr = tradesOf(state.frame);
  const mine = (list) => list.filter((x) => x && x.symbol === state.selected);
  const active = mine(tr.open);
  const entry = num(a.entry) ?? num(active[0] && (active[0].entry_price ?? active[0].entry));
  document.getElementById("detail-symbol").textContent = state.selected;
  const link = document.getElementById("detail-binance");
  link.href = binanceUrl(state.selected);
  link.textContent = t("binance");
  const badge = document.getElementById("detail-signal");
  badge.textContent = signalText(a);
  badge.className = "badge " + rowClass(a);
  const stats = [
    [t("s_price"), fmtPrice(a.price, tick)], [t("s_change"), fmtPct(a.price_change_pct, 2, true)],
    [t("s_turnover"), fmtCompact(a.turnover_24h_usd)], ["ATR", fmtPct(a.atr_pct)],
    ["RSI", fmtNum(a.rsi)], [t("s_confidence"), confidenceText(a)], [t("s_entry"), fmtPrice(entry, tick)],
    ["TP", fmtPrice(a.tp, tick)], ["SL", fmtPrice(a.sl, tick)], [t("s_trade"), tradeText(a)], [t("s_band"), fmtPct(a.band_pct)],
    [t("s_state"), a.state || DASH], [t("s_scenario"), a.scenario || DASH], [t("s_triggers"), triggersText(a)],
  ];
  document.getElementById("detail-stats").innerHTML = stats
    .map(([k, v]) => `<div><span class="muted">${esc(k)}</span> <b>${esc(v)}</b></div>`).join("");
  renderSignalInfo(a);
  renderPlan(a);
  document.getElementById("detail-narrative").textContent = narrativeText(a);
  const levels = drawnLevels(a);
  document.getElementById("detail-levels").innerHTML = levels.length
    ? levels.map((l) => `<span class="level ${esc(l.side)}">${esc(levelText(l, tick))}</span>`).join(" ")
    : DASH;
  document.getElementById("detail-trades").innerHTML =
    `<h4>${esc(t("open"))}</h4>${tradesTable(mine(tr.open), false, true)}<h4>${esc(t("closed"))}</h4>${tradesTable(mine(tr.recent), true, true)}`;
  renderChart(a, tick, active, mine(tr.recent));
}

// План і стан сигналу в деталях: видно й тоді, коли угоди немає.
function renderPlan(a) {
  const section = document.getElementById("detail-plan-section");
  const life = lifecycleOf(a);
  section.classList.toggle("hidden", !life);
  if (!life) return;
  section.classList.toggle("ended", isEnded(a));
  const items = [
    [t("s_state"), lifeStateText(a)], [t("p_entry"), planText(a)],
    [t("p_issued"), fmtTime(life.issued_ts) + (num(life.age_sec) === null ? "" : " · " + t("p_age", { a: fmtAge(life.age_sec) }))],
  ];
  if (!life.final && num(life.expires_ts) !== null) items.push([t("p_expires"), fmtTime(life.expires_ts)]);
  document.getElementById("detail-plan").innerHTML = items
    .map(([k, v]) => `<div><span class="muted">${esc(k)}</span> <b>${esc(v)}</b></div>`).join("");
  const lines = [lifeText(life, "text"), lifeText(life, "invalidation_text")].filter(Boolean);
  document.getElementById("detail-life").textContent = lines.join(". ");
}

// Ранг з частинами, вердикт бюджету, тип і виміряний запис типу сигналу.
function renderSignalInfo(a) {
  const parts = rankParts(a);
  const items = [[t("s_rank"), rankScore(a) === null ? DASH : `${fmtRank(a)} ${t("of_one")}`]];
  if (parts) {
    items.push([t("s_unusual"), fmtNum(parts.unusual, 2)], [t("s_conviction"), fmtNum(parts.conviction, 2)]);
    if (num(parts.history) !== null) items.push([t("s_history"), String(parts.history)]);
  }
  items.push([t("s_verdict"), verdictText(a)], [t("s_kind"), a.signal_kind || DASH]);
  document.getElementById("detail-gate").innerHTML = items
    .map(([k, v]) => `<div><span class="muted">${esc(k)}</span> <b>${esc(v)}</b></div>`).join("");
  const record = document.getElementById("detail-record");
  record.textContent = recordSentence(a);
  record.classList.toggle("muted", !recordOf(a));
  const section = document.getElementById("detail-gate-section");
  section.classList.toggle("watch", isWatch(a) || a.surfaced === false);
}

function hline(y, color, dash, text, name, left = false) {
  return {
    shape: { type: "line", name, xref: "paper", x0: 0, x1: 1, yref: "y", y0: y, y1: y, line: { color, width: 1, dash } },
    annotation: {
      xref: "paper", x: left ? 0 : 1, xanchor: left ? "left" : "right", y, yanchor: "bottom", text,
      showarrow: false, font: { color, size: 10 },
    },
  };
}

function zone(lo, hi, color, text, name) {
  return {
    shape: {
      type: "rect", name, xref: "paper", x0: 0, x1: 1, yref: "y", y0: lo, y1: hi,
      line: { color, width: 1, dash: "dot" }, fillcolor: color, opacity: 0.15,
    },
    annotation: { xref: "paper", x: 0, xanchor: "left", y: hi, yanchor: "bottom", text, showarrow: false, font: { color, size: 10 } },
  };
}

// Лінії графіка: ≤ 3 рівні на бік (зона — прямокутник), план сигналу (зона входу, TP, SL);
// без плану — вхід/TP/SL рядка чи відкритої угоди, як раніше.
function chartLines(asset, tick, openTrades) {
  const lines = [];
  const d = tickDecimals(tick);
  for (const l of drawnLevels(asset)) {
    const color = l.side === "resistance" ? "#e0795b" : l.side === "support" ? "#5bb3e0" : "#999999";
    const name = `level-${l.side}`;
    const text = levelText(l, tick);
    if (num(l.lo) !== null && num(l.hi) !== null && l.hi > l.lo) lines.push(zone(l.lo, l.hi, color, text, name));
    else lines.push(hline(l.price, color, "dot", text, name));
  }
  const life = lifecycleOf(asset);
  const plan = life && life.plan;
  if (plan && num(plan.entry_lo) !== null && num(plan.entry_hi) !== null) {
    const lo = Math.min(plan.entry_lo, plan.entry_hi);
    const hi = Math.max(plan.entry_lo, plan.entry_hi);
    const text = `${t("p_entry")} ${lo.toFixed(d)}–${hi.toFixed(d)}`;
    lines.push(hi > lo ? zone(lo, hi, "#d0d0d0", text, "plan-entry") : hline(lo, "#d0d0d0", "dash", text, "plan-entry", true));
    if (num(plan.tp) !== null) lines.push(hline(plan.tp, "#3ecf6e", "dash", `TP ${plan.tp.toFixed(d)}`, "plan-tp"));
    if (num(plan.sl) !== null) lines.push(hline(plan.sl, "#ff5a5a", "dash", `SL ${plan.sl.toFixed(d)}`, "plan-sl"));
    return lines;
  }
  const trade = openTrades[0] || {};
  const entry = num(asset.entry) ?? num(trade.entry_price) ?? num(trade.entry);
  const tp = num(asset.tp) ?? num(trade.tp);
  const sl = num(asset.sl) ?? num(trade.sl);
  if (entry !== null) lines.push(hline(entry, "#d0d0d0", "dash", `entry ${entry.toFixed(d)}`, "trade-entry", true));
  if (tp !== null) lines.push(hline(tp, "#3ecf6e", "dash", `TP ${tp.toFixed(d)}`, "trade-tp"));
  if (sl !== null) lines.push(hline(sl, "#ff5a5a", "dash", `SL ${sl.toFixed(d)}`, "trade-sl"));
  return lines;
}

// Виконання угод символу (вхід і вихід) — точки на графіку.
function fillsTrace(trades) {
  const x = [];
  const y = [];
  const text = [];
  const symbol = [];
  for (const tr of trades) {
    const entryPrice = num(tr.entry_price ?? tr.entry);
    const entryTs = num(tr.entry_ts ?? tr.opened_at);
    if (entryPrice !== null && entryTs !== null) {
      x.push(entryTs); y.push(entryPrice); text.push(`${t("fill_entry")} ${label("side", tr.side)}`);
      symbol.push(tr.side === "SELL" ? "triangle-down" : "triangle-up");
    }
    const exitPrice = num(tr.exit_price);
    const exitTs = num(tr.exit_ts ?? tr.closed_at);
    if (exitPrice !== null && exitTs !== null) {
      x.push(exitTs); y.push(exitPrice); text.push(`${t("fill_exit")} ${outcomeText(tr.close_reason, tr.pnl_pct, tr.trailing, tr.breakeven)}`);
      symbol.push("x");
    }
  }
  return {
    type: "scatter", mode: "markers", name: "fills", x, y, text, hoverinfo: "text+y",
    marker: { symbol, size: 10, color: "#f0d7ff", line: { color: "#4b2a5e", width: 1 } },
  };
}

function renderChart(asset, tick, openTrades, closedTrades) {
  const div = document.getElementById("chart");
  const note = document.getElementById("chart-note");
  if (typeof Plotly === "undefined") {
    note.textContent = t("plotly_wait");
    return;
  }
  const bars = state.bars && state.bars.symbol === state.selected ? state.bars.bars : [];
  const tf = state.bars && state.bars.timeframe ? state.bars.timeframe : state.tf;
  note.textContent = state.barsError || (bars.length ? t("bars_n", { n: bars.length, tf }) : t("no_bars"));
  const lines = chartLines(asset, tick, openTrades);
  const d = tickDecimals(tick);
  const trace = {
    type: "candlestick",
    x: bars.map((b) => b.open_time),
    open: bars.map((b) => b.open),
    high: bars.map((b) => b.high),
    low: bars.map((b) => b.low),
    close: bars.map((b) => b.close),
    increasing: { line: { color: "#3ecf6e" } },
    decreasing: { line: { color: "#ff5a5a" } },
    name: state.selected,
  };
  const first = bars.length ? bars[0].open_time : null;
  const fills = [...openTrades, ...closedTrades].filter((tr) => first === null || num(tr.entry_ts) === null || tr.entry_ts >= first || num(tr.exit_ts) >= first);
  const layout = {
    margin: { l: 60, r: 10, t: 10, b: 30 },
    paper_bgcolor: "#161b22", plot_bgcolor: "#161b22", font: { color: "#c9d1d9", size: 11 },
    xaxis: { type: "date", rangeslider: { visible: false }, gridcolor: "#30363d" },
    yaxis: { gridcolor: "#30363d", tickformat: `.${d}f` },
    shapes: lines.map((x) => x.shape), annotations: lines.map((x) => x.annotation), showlegend: false,
  };
  Plotly.react(div, [trace, fillsTrace(fills)], layout, { displayModeBar: false, responsive: true });
}

async function fetchBars(symbol) {
  state.barsFetchedAt = Date.now();
  const tf = state.tf;
  try {
    const resp = await fetch(`/api/bars/${encodeURIComponent(symbol)}?n=${state.config.bars_default_n}&tf=${encodeURIComponent(tf)}`);
    const body = await resp.json();
    if (symbol !== state.selected || tf !== state.tf) return;
    if (!resp.ok) {
      state.bars = null;
      state.barsError = t("chart_off", { e: body.error || resp.status });
    } else {
      state.bars = body;
      state.barsError = "";
    }
  } catch (err) {
    state.barsError = t("chart_off", { e: err });
  }
  renderDetail();
}

async function fetchSparks() {
  state.sparksFetchedAt = Date.now();
  try {
    const resp = await fetch(`/api/sparklines?minutes=${state.config.spark_minutes || 240}`);
    if (!resp.ok) return;
    const body = await resp.json();
    state.sparks = body.points || {};
    if (state.frame) renderTable(state.frame);
  } catch (err) {
    // спарклайни — прикраса: без них таблиця лишається повною
  }
}

function select(symbol) {
  state.selected = symbol;
  state.bars = null;
  state.barsError = "";
  renderDetail();
  if (state.frame) renderTable(state.frame);
  if (symbol) {
    fetchBars(symbol);
    // на телефоні деталі — під списком карток: показати їх одразу
    if (window.matchMedia && window.matchMedia("(max-width: 600px)").matches) {
      document.getElementById("detail").scrollIntoView({ block: "start" });
    }
  }
}

// ── Сповіщення про новий сигнал з найвищим рангом ──
function topSignal(frame) {
  const assets = Array.isArray(frame.assets) ? frame.assets : [];
  let best = null;
  for (const a of assets) {
    if (!a || !isSignal(a) || isEnded(a) || (lifecycleOf(a) && lifecycleOf(a).final === true)) continue;
    if (best === null || (rankScore(a) ?? -1) > (rankScore(best) ?? -1)) best = a;
  }
  return best;
}

function beep() {
  try {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    const ctx = new Ctx();
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.frequency.value = 880;
    gain.gain.value = 0.08;
    osc.connect(gain).connect(ctx.destination);
    osc.start();
    osc.stop(ctx.currentTime + 0.18);
  } catch (err) {
    // без звуку: сповіщення все одно показано
  }
}

function checkTopSignal(frame) {
  const best = topSignal(frame);
  const id = best ? String(best.signal_id || (lifecycleOf(best) && lifecycleOf(best).id) || best.symbol) : null;
  const known = state.topSignal;
  state.topSignal = id;
  // перший кадр після завантаження лише запам'ятовує поточний сигнал: перезавантаження не сповіщає
  if (known === undefined || id === null || id === known || !state.notify) return;
  if (typeof Notification === "undefined" || Notification.permission !== "granted") return;
  const body = [signalText(best), planText(best), confidenceText(best)].filter((x) => x && x !== DASH).join(" · ");
  try {
    new Notification(`AiOne · ${best.symbol}`, { body, tag: "aione-top-signal" });
  } catch (err) {
    // мобільні браузери вимагають service worker для сповіщень: лишається звук
  }
  beep();
}

async function toggleNotify() {
  if (state.notify) {
    state.notify = false;
  } else if (typeof Notification !== "undefined") {
    const perm = Notification.permission === "granted" ? "granted" : await Notification.requestPermission();
    state.notify = perm === "granted";
    if (!state.notify) document.getElementById("notify").title = t("notify_denied");
  }
  savePrefs();
  renderStatic();
}

// ── Вік даних і з'єднання ──
function renderAge() {
  const el = document.getElementById("age");
  const conn = document.getElementById("conn");
  if (state.connected) {
    conn.textContent = t("online");
    conn.className = "conn conn-up";
  } else {
    const wait = Math.max(0, Math.ceil((state.retryAt - Date.now()) / 1000));
    conn.textContent = t("offline_retry", { s: wait });
    conn.className = "conn conn-down";
  }
  if (!state.frame) {
    el.textContent = t("data_none");
    el.className = "age";
    return;
  }
  // Вік даних = вік на момент кадру (за годинником ринку: ts кадру − останнє оновлення, тож
  // працює і для живого ринку, і для демо з віртуальним годинником) + скільки минуло з отримання.
  const counters = state.frame.counters || {};
  const ageAtFrame = typeof counters.data_age_ms === "number" ? counters.data_age_ms / 1000 : 0;
  const age = Math.max(0, ageAtFrame + (Date.now() - state.receivedAt) / 1000);
  const stale = age > state.config.stale_after_sec || !state.connected;
  el.textContent = t("data_age", { a: age < 100 ? age.toFixed(1) : age.toFixed(0) }) + (stale ? t("data_stale") : "");
  el.className = stale ? "age stale" : "age fresh";
  document.body.classList.toggle("is-stale", stale);
}

function draw() {
  const frame = state.pending;
  state.pending = null;
  if (!frame) return;
  const first = state.frame === null;
  state.frame = frame;
  if (first) renderStatic(); // мова може залежати від meta кадру
  renderHeader(frame);
  renderTable(frame);
  renderTrades(frame);
  checkTopSignal(frame);
  if (state.selected) {
    renderDetail();
    if (Date.now() - state.barsFetchedAt > BARS_REFRESH_MS) fetchBars(state.selected);
  }
  if (Date.now() - state.sparksFetchedAt > SPARKS_REFRESH_MS) fetchSparks();
  renderAge();
}

function connect() {
  const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws";
  const ws = new WebSocket(url);
  state.ws = ws;
  ws.onopen = () => {
    state.connected = true;
    renderAge();
  };
  ws.onmessage = (ev) => {
    let frame;
    try {
      frame = JSON.parse(ev.data);
    } catch (err) {
      return; // зіпсований кадр пропускаємо: наступний принесе повний стан
    }
    if (!frame || typeof frame !== "object") return;
    state.retryDelay = RETRY_MIN_MS;
    const first = state.pending === null;
    state.pending = frame;
    state.receivedAt = Date.now();
    if (first) requestAnimationFrame(draw);
  };
  ws.onclose = () => {
    state.connected = false;
    state.ws = null;
    // Експоненційна затримка з розкидом, щоб сторінки не стукали в сервер одночасно.
    const delay = Math.min(RETRY_MAX_MS, state.retryDelay) * (1 + Math.random() * 0.3);
    state.retryDelay = Math.min(RETRY_MAX_MS, state.retryDelay * 2);
    state.retryAt = Date.now() + delay;
    renderAge();
    setTimeout(connect, delay);
  };
  ws.onerror = () => ws.close();
}

// ── Старт ──
async function loadConfig() {
  try {
    const resp = await fetch("/api/config");
    if (resp.ok) Object.assign(state.config, await resp.json());
  } catch (err) {
    // сервер ще недоступний: лишаються типові значення, з'єднання повториться
  }
}

function rerender() {
  renderStatic();
  renderAge();
  if (state.frame) {
    renderHeader(state.frame);
    renderTable(state.frame);
    renderTrades(state.frame);
  }
  renderDetail();
}

function bindUi() {
  document.getElementById("assets-head").addEventListener("click", (ev) => {
    const th = ev.target.closest("th");
    if (!th || th.classList.contains("nosort")) return;
    const key = th.dataset.key;
    if (state.sortKey === key) state.sortDir = -state.sortDir;
    else {
      state.sortKey = key;
      state.sortDir = key === "symbol" ? 1 : -1;
    }
    savePrefs();
    renderHead();
    if (state.frame) renderTable(state.frame);
  });
  for (const id of ["assets-body", "trades-open", "trades-recent"]) {
    document.getElementById(id).addEventListener("click", (ev) => {
      const tr = ev.target.closest("tr[data-symbol]");
      if (tr && tr.dataset.symbol) select(tr.dataset.symbol);
    });
  }
  document.getElementById("filters").addEventListener("click", (ev) => {
    const btn = ev.target.closest("button[data-filter]");
    if (!btn) return;
    state.filter = btn.dataset.filter;
    for (const b of document.querySelectorAll("#filters button[data-filter]")) b.classList.toggle("active", b === btn);
    savePrefs();
    if (state.frame) renderTable(state.frame);
  });
  document.getElementById("search").addEventListener("input", (ev) => {
    state.search = ev.target.value;
    savePrefs();
    if (state.frame) renderTable(state.frame);
  });
  document.getElementById("lang").addEventListener("click", (ev) => {
    const btn = ev.target.closest("button[data-lang]");
    if (!btn) return;
    state.locale = btn.dataset.lang;
    savePrefs();
    rerender();
  });
  document.getElementById("tf").addEventListener("click", (ev) => {
    const btn = ev.target.closest("button[data-tf]");
    if (!btn || btn.dataset.tf === state.tf) return;
    state.tf = btn.dataset.tf;
    savePrefs();
    renderStatic();
    state.bars = null;
    if (state.selected) fetchBars(state.selected);
  });
  document.getElementById("notify").addEventListener("click", () => toggleNotify());
  document.getElementById("detail-close").addEventListener("click", () => select(null));
}

async function main() {
  loadPrefs();
  bindUi();
  await loadConfig();
  if (!(state.config.timeframes || []).includes(state.tf)) state.tf = "1m";
  renderStatic();
  renderAge();
  // Посилання зі сповіщень: /#BTCUSDT одразу відкриває деталі символу.
  const fromHash = decodeURIComponent(location.hash.slice(1)).toUpperCase();
  if (/^[A-Z0-9]{2,30}$/.test(fromHash)) select(fromHash);
  connect();
  setInterval(renderAge, 1000);
}

main();
