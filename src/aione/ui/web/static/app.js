// Панель AiOne: кадри стану по WebSocket → таблиця активів, деталі символу з графіком, угоди.
// Сигнальний шлюз: колонки «Ранг» і «Запис типу», рядки watch (кандидат, якого бюджет не пропустив)
// приглушені й мають власний фільтр; у деталях — ранг з частинами, вердикт бюджету і запис типу.
// Без збірки й без копійованих бібліотек: Plotly віддає сервер з установленого Python-пакета.
// Людські назви (рекомендації, наслідки угод, підказки колонок, позначка демо) — з /api/config
// (`labels`, те саме джерело, що й у терміналі); мова — `meta.locale` кадру. Позначка демо береться
// з `meta` кадру (`mode`, `speed`, `market_clock_ms`), а не вгадується сторінкою.
"use strict";

// ── Стан сторінки ──
const state = {
  config: {
    stale_after_sec: 10, volume_column: "Оборот 24 год, USD", labels: {}, tick_size_map: {}, tick_size_brackets: [],
    tick_size_default: 1, buy_set: ["STRONG_BUY", "BUY_IN_DIPS"], sell_set: ["STRONG_SELL", "SELL_ON_RALLIES"],
    bars_default_n: 240,
  },
  frame: null,          // останній отриманий кадр
  receivedAt: 0,        // Date.now() отримання останнього кадру
  pending: null,        // кадр, що чекає на малювання (малюється лише найсвіжіший)
  filter: "ALL",
  sortKey: null,        // null = порядок терміналу: алерти й відкриті угоди першими, далі впевненість
  sortDir: -1,
  selected: null,       // обраний символ
  bars: null,           // бари графіка обраного символу
  barsError: "",
  barsFetchedAt: 0,
  ws: null,
  connected: false,
  retryDelay: 500,
  retryAt: 0,
};

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 15000;
const BARS_REFRESH_MS = 15000;
const DASH = "-";
const WATCH = "watch";
// Причини вердикту бюджету (ключі — `signals.budget`), як у терміналі.
const BUDGET_REASONS = {
  promoted: "сигнал", budget_off: "бюджет вимкнено", not_actionable: "без BUY/SELL",
  below_rank: "низький ранг", symbol_budget: "ліміт символу", market_budget: "ліміт ринку",
};
// Довші пояснення причин для панелі деталей.
const BUDGET_VERDICTS = {
  promoted: "сигнал: бюджет алертів пропустив кандидата",
  budget_off: "сигнал: бюджет алертів вимкнено",
  not_actionable: "watch: рішення Stage2 без BUY/SELL",
  below_rank: "watch: ранг нижчий за поріг",
  symbol_budget: "watch: вичерпано бюджет алертів символу",
  market_budget: "watch: вичерпано бюджет алертів ринку (інші кандидати мали вищий ранг)",
};

// ── Людські назви ──
function locale() {
  const meta = state.frame && state.frame.meta;
  const labels = state.config.labels || {};
  const wanted = meta && typeof meta.locale === "string" ? meta.locale : labels.default_locale;
  return (labels.locales || []).includes(wanted) ? wanted : labels.default_locale || "uk";
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

function fmtConfidence(v) {
  const x = num(v);
  if (x === null) return DASH;
  return (x <= 1 ? x * 100 : x).toFixed(0) + "%";
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
  if (!r) return a.signal_kind ? "Цей тип сигналу: запису ще немає (замало завершених випадків)." : DASH;
  const rate = num(r.tp_first_rate);
  const move = num(r.median_move_pct);
  const horizon = num(r.horizon_min) || 60;
  const rateText = rate === null ? "—" : (rate * 100).toFixed(0) + " %";
  const moveText = move === null ? "—" : (move > 0 ? "+" : "") + move.toFixed(2) + " %";
  return `Цей тип сигналу: ${r.cases} випадків, TP першим ${rateText}, медіанний рух за ${horizon} хв ${moveText}.`;
}

function reasonLabel(reason) {
  return reason ? BUDGET_REASONS[reason] || String(reason) : DASH;
}

function verdictText(a) {
  if (a.surfaced === true) return BUDGET_VERDICTS[a.budget_reason] || "сигнал";
  if (a.surfaced === false) return BUDGET_VERDICTS[a.budget_reason] || `watch: ${reasonLabel(a.budget_reason)}`;
  return "кандидата ще не було";
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

function passesFilter(asset) {
  switch (state.filter) {
    case "ALERT": return isAlert(asset);
    case "BUY": return side(asset) === "BUY";
    case "SELL": return side(asset) === "SELL";
    case "SIGNAL": return isSignal(asset);
    case "WATCH": return isWatch(asset);
    default: return true;
  }
}

function rowClass(asset) {
  const s = side(asset);
  if (s === "BUY") return "buy";
  if (s === "SELL") return "sell";
  if (isWatch(asset)) return "watch";
  if (isAlert(asset)) return "alert";
  return "";
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

const COLUMNS = [
  { key: "symbol", label: "Символ", sort: (a) => a.symbol || "", cell: (a) => esc(a.symbol || DASH) },
  { key: "price", label: "Ціна", num: true, sort: (a) => num(a.price), cell: (a) => fmtPrice(a.price, tickFor(a)) },
  {
    key: "price_change_pct", label: "Зміна 24 год %", help: "price_change_pct", num: true, sort: (a) => num(a.price_change_pct),
    cell: (a) => `<span class="${(num(a.price_change_pct) || 0) >= 0 ? "up" : "down"}">${fmtPct(a.price_change_pct, 2, true)}</span>`,
  },
  {
    key: "turnover_24h_usd", label: null, help: "turnover_24h_usd", num: true, sort: (a) => num(a.turnover_24h_usd),
    cell: (a) => fmtCompact(a.turnover_24h_usd),
  },
  { key: "atr_pct", label: "ATR %", num: true, sort: (a) => num(a.atr_pct), cell: (a) => fmtPct(a.atr_pct) },
  { key: "rsi", label: "RSI", num: true, sort: (a) => num(a.rsi), cell: (a) => fmtNum(a.rsi) },
  { key: "triggers", label: "Тригери", sort: (a) => (Array.isArray(a.triggers) ? a.triggers.length : 0), cell: (a) => `<span class="triggers">${esc(triggersText(a))}</span>` },
  {
    key: "signal", label: "Сигнал", sort: (a) => signalText(a),
    cell: (a) => `<span class="wrap${isWatch(a) ? " watch-tag" : ""}">${esc(signalText(a))}</span>`,
  },
  { key: "confidence", label: "Впевн.", num: true, sort: (a) => num(a.confidence), cell: (a) => fmtConfidence(a.confidence) },
  {
    key: "rank", label: "Ранг", help: "rank", num: true, sort: (a) => rankScore(a),
    cell: (a) => `<span class="rank">${fmtRank(a)}</span>`,
  },
  {
    key: "record", label: "Запис типу", help: "record",
    sort: (a) => { const r = recordOf(a); return r ? r.cases : null; },
    cell: (a) => `<span class="record">${esc(recordShort(a))}</span>`,
  },
  {
    key: "tp_sl", label: "TP / SL", num: true, sort: (a) => num(a.tp),
    cell: (a) => (num(a.tp) === null && num(a.sl) === null ? DASH
      : `<span class="up">${fmtPrice(a.tp, tickFor(a))}</span><br><span class="down">${fmtPrice(a.sl, tickFor(a))}</span>`),
  },
  {
    key: "trade", label: "Угода / PnL", sort: (a) => num(a.pnl_pct),
    cell: (a) => `<span class="${(num(a.pnl_pct) || 0) >= 0 ? "up" : "down"}">${esc(tradeText(a))}</span>`,
  },
  { key: "band_pct", label: "Смуга %", help: "band_pct", num: true, sort: (a) => num(a.band_pct), cell: (a) => fmtPct(a.band_pct) },
];

function defaultOrder(a, b) {
  const pa = (isAlert(a) || side(a) ? 1 : 0) + (hasOpenTrade(a) ? 1 : 0);
  const pb = (isAlert(b) || side(b) ? 1 : 0) + (hasOpenTrade(b) ? 1 : 0);
  if (pa !== pb) return pb - pa;
  return (num(b.confidence) ?? -1) - (num(a.confidence) ?? -1);
}

function sortedAssets(assets) {
  const rows = assets.filter((a) => a && typeof a === "object" && passesFilter(a));
  if (!state.sortKey) return rows.sort(defaultOrder);
  const col = COLUMNS.find((c) => c.key === state.sortKey);
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
    const label = c.label || state.config.volume_column;
    const mark = state.sortKey === c.key ? (state.sortDir > 0 ? " ▲" : " ▼") : "";
    const help = c.help ? columnHelp(c.help) : "";
    const title = help ? ` title="${esc(help)}"` : "";
    return `<th data-key="${c.key}" class="${c.num ? "num" : ""}"${title}>${esc(label)}${mark}</th>`;
  }).join("");
}

function renderTable(frame) {
  const assets = Array.isArray(frame.assets) ? frame.assets : [];
  const rows = sortedAssets(assets);
  const body = document.getElementById("assets-body");
  if (!rows.length) {
    body.innerHTML = `<tr class="placeholder"><td colspan="${COLUMNS.length}">немає активів для фільтра ${esc(state.filter)}</td></tr>`;
  } else {
    body.innerHTML = rows.map((a) => {
      const cls = [rowClass(a), a.symbol === state.selected ? "selected" : ""].join(" ");
      const cells = COLUMNS.map((c) => `<td class="${c.num ? "num" : ""}">${c.cell(a)}</td>`).join("");
      return `<tr class="${cls}" data-symbol="${esc(a.symbol || "")}">${cells}</tr>`;
    }).join("");
  }
  document.getElementById("shown").textContent = `показано ${rows.length} з ${assets.length}`;
}

function renderHeader(frame) {
  const seq = document.getElementById("seq");
  seq.textContent = "seq " + (frame.seq ?? DASH);
  seq.title = columnHelp("seq");
  const mode = document.getElementById("mode");
  const marker = demoMarker(frame);
  mode.textContent = marker;
  mode.classList.toggle("hidden", !marker);
  const c = frame.counters && typeof frame.counters === "object" ? frame.counters : {};
  const parts = [];
  const names = {
    assets: "активів", alerts: "алертів", buy: "buy", sell: "sell", signals: "сигналів", watch: WATCH,
    open_trades: "відкритих угод", pending_trades: "очікують входу",
  };
  for (const [key, label] of Object.entries(names)) {
    if (key in c) parts.push(`${label}: ${esc(c[key])}`);
  }
  document.getElementById("counters").innerHTML = parts.join(" · ");
}

// ── Угоди ──
function tradesOf(frame) {
  const t = frame && frame.trades && typeof frame.trades === "object" ? frame.trades : {};
  return { open: Array.isArray(t.open) ? t.open : [], recent: Array.isArray(t.recent) ? t.recent : [] };
}

function tradeTick(trade) {
  if (num(trade.tick_size) > 0) return trade.tick_size;
  const asset = assetBySymbol(trade.symbol) || { symbol: trade.symbol, price: num(trade.entry_price ?? trade.entry) };
  return tickFor(asset);
}

// compact — для панелі деталей: без символу, TP і SL (вони вже показані вище).
function tradesTable(trades, closed, compact = false) {
  if (!trades.length) return `<p class="muted">немає</p>`;
  const keep = (list) => (compact ? list.filter((_, i) => ![0, 3, 4].includes(i)) : list);
  const head = ["Символ", "Сторона", "Вхід", "TP", "SL", closed ? "Вихід" : "Ціна", "PnL", "Статус", closed ? "Закрито" : "Відкрито"];
  const rows = trades.map((t) => {
    const tick = tradeTick(t);
    const pnl = num(t.pnl_pct);
    const last = closed ? t.exit_price : (t.last_price ?? t.current_price);
    const when = closed ? (t.closed_at ?? t.exit_ts) : (t.opened_at ?? t.entry_ts);
    const cells = [
      esc(t.symbol || DASH), esc(label("side", t.side || t.direction) || DASH), fmtPrice(t.entry ?? t.entry_price, tick),
      fmtPrice(t.tp, tick), fmtPrice(t.sl, tick), fmtPrice(last, tick),
      `<span class="${(pnl || 0) >= 0 ? "up" : "down"}">${fmtPct(pnl, 2, true)}</span>`,
      esc((closed && t.close_reason ? outcomeText(t.close_reason, pnl, t.trailing, t.breakeven) : label("status", t.status)) || DASH),
      fmtTime(when),
    ];
    return `<tr data-symbol="${esc(t.symbol || "")}">${keep(cells).map((c) => `<td>${c}</td>`).join("")}</tr>`;
  }).join("");
  const heads = keep(head).map((h) => `<th>${h}</th>`).join("");
  return `<table class="small"><thead><tr>${heads}</tr></thead><tbody>${rows}</tbody></table>`;
}

function renderTrades(frame) {
  const t = tradesOf(frame);
  document.getElementById("trades-open").innerHTML = tradesTable(t.open, false);
  document.getElementById("trades-recent").innerHTML = tradesTable(t.recent, true);
}

// ── Деталі символу ──
function assetBySymbol(symbol) {
  const assets = state.frame && Array.isArray(state.frame.assets) ? state.frame.assets : [];
  return assets.find((a) => a && a.symbol === symbol) || null;
}

function narrativeText(n) {
  if (n === null || n === undefined || n === "") return DASH;
  if (typeof n === "string") return n;
  if (Array.isArray(n)) return n.join(" ");
  if (typeof n === "object") return n.text || n.uk || n.en || Object.values(n).filter((v) => typeof v === "string").join(" ") || DASH;
  return String(n);
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
  const t = tradesOf(state.frame);
  const mine = (list) => list.filter((x) => x && x.symbol === state.selected);
  const active = mine(t.open);
  const entry = num(a.entry) ?? num(active[0] && (active[0].entry_price ?? active[0].entry));
  document.getElementById("detail-symbol").textContent = state.selected;
  const badge = document.getElementById("detail-signal");
  badge.textContent = signalText(a);
  badge.className = "badge " + rowClass(a);
  const stats = [
    ["Ціна", fmtPrice(a.price, tick)], ["Зміна 24 год", fmtPct(a.price_change_pct, 2, true)],
    ["Оборот 24 год", fmtCompact(a.turnover_24h_usd)], ["ATR", fmtPct(a.atr_pct)],
    ["RSI", fmtNum(a.rsi)], ["Впевненість", fmtConfidence(a.confidence)], ["Вхід", fmtPrice(entry, tick)],
    ["TP", fmtPrice(a.tp, tick)], ["SL", fmtPrice(a.sl, tick)], ["Угода", tradeText(a)], ["Смуга", fmtPct(a.band_pct)],
    ["Стан", a.state || DASH], ["Сценарій", a.scenario || DASH], ["Тригери", triggersText(a)],
  ];
  document.getElementById("detail-stats").innerHTML = stats
    .map(([k, v]) => `<div><span class="muted">${esc(k)}</span> <b>${esc(v)}</b></div>`).join("");
  renderSignalInfo(a);
  document.getElementById("detail-narrative").textContent = narrativeText(a.narrative);
  const levels = Array.isArray(a.levels) ? a.levels : [];
  document.getElementById("detail-levels").innerHTML = levels.length
    ? levels.map((l) => `<span class="level ${esc(l.kind || "")}">${esc(l.kind || "рівень")} ${fmtPrice(l.price, tick)}${l.scale ? " · " + esc(l.scale) : ""}</span>`).join(" ")
    : DASH;
  document.getElementById("detail-trades").innerHTML =
    `<h4>відкриті</h4>${tradesTable(mine(t.open), false, true)}<h4>закриті</h4>${tradesTable(mine(t.recent), true, true)}`;
  renderChart(a, tick, active);
}

// Ранг з частинами, вердикт бюджету, тип і виміряний запис типу сигналу.
function renderSignalInfo(a) {
  const parts = rankParts(a);
  const items = [["Ранг", rankScore(a) === null ? DASH : `${fmtRank(a)} з 1.00`]];
  if (parts) {
    items.push(["Незвичність", fmtNum(parts.unusual, 2)], ["Переконаність", fmtNum(parts.conviction, 2)]);
    if (num(parts.history) !== null) items.push(["Історія", String(parts.history)]);
  }
  items.push(["Вердикт", verdictText(a)], ["Тип", a.signal_kind || DASH]);
  document.getElementById("detail-gate").innerHTML = items
    .map(([k, v]) => `<div><span class="muted">${esc(k)}</span> <b>${esc(v)}</b></div>`).join("");
  const record = document.getElementById("detail-record");
  record.textContent = recordSentence(a);
  record.classList.toggle("muted", !recordOf(a));
  const section = document.getElementById("detail-gate-section");
  section.classList.toggle("watch", isWatch(a) || a.surfaced === false);
}

function hline(y, color, dash, label, left = false) {
  return {
    shape: { type: "line", xref: "paper", x0: 0, x1: 1, yref: "y", y0: y, y1: y, line: { color, width: 1, dash } },
    annotation: {
      xref: "paper", x: left ? 0 : 1, xanchor: left ? "left" : "right", y, yanchor: "bottom", text: label,
      showarrow: false, font: { color, size: 10 },
    },
  };
}

function renderChart(asset, tick, openTrades) {
  const div = document.getElementById("chart");
  const note = document.getElementById("chart-note");
  if (typeof Plotly === "undefined") {
    note.textContent = "Plotly ще завантажується…";
    return;
  }
  const bars = state.bars && state.bars.symbol === state.selected ? state.bars.bars : [];
  note.textContent = state.barsError || (bars.length ? `${bars.length} барів 1m` : "барів немає");
  const lines = [];
  const d = tickDecimals(tick);
  for (const l of Array.isArray(asset.levels) ? asset.levels : []) {
    const p = num(l && l.price);
    if (p === null) continue;
    const kind = String(l.kind || "");
    const color = kind.startsWith("res") ? "#e0795b" : kind.startsWith("sup") ? "#5bb3e0" : "#999999";
    lines.push(hline(p, color, "dot", `${kind || "рівень"} ${p.toFixed(d)}`));
  }
  const trade = openTrades[0] || {};
  const entry = num(asset.entry) ?? num(trade.entry_price) ?? num(trade.entry);
  const tp = num(asset.tp) ?? num(trade.tp);
  const sl = num(asset.sl) ?? num(trade.sl);
  if (entry !== null) lines.push(hline(entry, "#d0d0d0", "dash", `entry ${entry.toFixed(d)}`, true));
  if (tp !== null) lines.push(hline(tp, "#3ecf6e", "dash", `TP ${tp.toFixed(d)}`));
  if (sl !== null) lines.push(hline(sl, "#ff5a5a", "dash", `SL ${sl.toFixed(d)}`));
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
  const layout = {
    margin: { l: 60, r: 10, t: 10, b: 30 },
    paper_bgcolor: "#161b22", plot_bgcolor: "#161b22", font: { color: "#c9d1d9", size: 11 },
    xaxis: { type: "date", rangeslider: { visible: false }, gridcolor: "#30363d" },
    yaxis: { gridcolor: "#30363d", tickformat: `.${d}f` },
    shapes: lines.map((x) => x.shape), annotations: lines.map((x) => x.annotation), showlegend: false,
  };
  Plotly.react(div, [trace], layout, { displayModeBar: false, responsive: true });
}

async function fetchBars(symbol) {
  state.barsFetchedAt = Date.now();
  try {
    const resp = await fetch(`/api/bars/${encodeURIComponent(symbol)}?n=${state.config.bars_default_n}`);
    const body = await resp.json();
    if (symbol !== state.selected) return;
    if (!resp.ok) {
      state.bars = null;
      state.barsError = "графік недоступний: " + (body.error || resp.status);
    } else {
      state.bars = body;
      state.barsError = "";
    }
  } catch (err) {
    state.barsError = "графік недоступний: " + err;
  }
  renderDetail();
}

function select(symbol) {
  state.selected = symbol;
  state.bars = null;
  state.barsError = "";
  renderDetail();
  if (state.frame) renderTable(state.frame);
  if (symbol) fetchBars(symbol);
}

// ── Вік даних і з'єднання ──
function renderAge() {
  const el = document.getElementById("age");
  const conn = document.getElementById("conn");
  if (state.connected) {
    conn.textContent = "онлайн";
    conn.className = "conn conn-up";
  } else {
    const wait = Math.max(0, Math.ceil((state.retryAt - Date.now()) / 1000));
    conn.textContent = `офлайн, повтор через ${wait} с`;
    conn.className = "conn conn-down";
  }
  if (!state.frame) {
    el.textContent = "дані: -";
    el.className = "age";
    return;
  }
  // Вік даних = вік на момент кадру (за годинником ринку: ts кадру − останнє оновлення, тож
  // працює і для живого ринку, і для демо з віртуальним годинником) + скільки минуло з отримання.
  const counters = state.frame.counters || {};
  const ageAtFrame = typeof counters.data_age_ms === "number" ? counters.data_age_ms / 1000 : 0;
  const age = Math.max(0, ageAtFrame + (Date.now() - state.receivedAt) / 1000);
  const stale = age > state.config.stale_after_sec || !state.connected;
  el.textContent = `дані: ${age < 100 ? age.toFixed(1) : age.toFixed(0)} с тому` + (stale ? " — ЗАСТАРІЛІ" : "");
  el.className = stale ? "age stale" : "age fresh";
  document.body.classList.toggle("is-stale", stale);
}

function draw() {
  const frame = state.pending;
  state.pending = null;
  if (!frame) return;
  state.frame = frame;
  renderHeader(frame);
  renderTable(frame);
  renderTrades(frame);
  if (state.selected) {
    renderDetail();
    if (Date.now() - state.barsFetchedAt > BARS_REFRESH_MS) fetchBars(state.selected);
  }
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

function bindUi() {
  document.getElementById("assets-head").addEventListener("click", (ev) => {
    const th = ev.target.closest("th");
    if (!th) return;
    const key = th.dataset.key;
    if (state.sortKey === key) state.sortDir = -state.sortDir;
    else {
      state.sortKey = key;
      state.sortDir = key === "symbol" ? 1 : -1;
    }
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
    for (const b of document.querySelectorAll("#filters button")) b.classList.toggle("active", b === btn);
    if (state.frame) renderTable(state.frame);
  });
  document.getElementById("detail-close").addEventListener("click", () => select(null));
}

async function main() {
  bindUi();
  await loadConfig();
  renderHead();
  connect();
  setInterval(renderAge, 1000);
}

main();
