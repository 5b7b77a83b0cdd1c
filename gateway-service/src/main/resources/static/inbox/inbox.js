// Herald's reference inbox: the inbox API and live stream of the gateway, from a browser.
//
// - the list comes a page at a time (keyset cursor), the next page when the end of the list
//   scrolls into view;
// - the live stream opens with a short-lived stream ticket (EventSource cannot send a bearer token)
//   and carries new items, read/unread/archive changes made anywhere, and the counts for the badge;
// - when the connection drops, the browser reconnects with Last-Event-ID by itself; when it gives
//   up (a ticket has expired, the gateway was away), the page takes a new ticket and reconnects with
//   ?lastEventId=, so what arrived in between is replayed in order, without gaps or repeats.
(() => {
  'use strict';

  const PAGE_SIZE = 20;
  const MAX_RECONNECT_DELAY_MS = 30000;
  const $ = (id) => document.getElementById(id);

  const state = {
    token: null,
    cursor: null,
    done: false,
    loading: false,
    items: new Map(), // id -> {item, element}
    lastEventId: null,
    source: null,
    generation: 0,
    reconnectDelay: 1000,
    reconnectTimer: null,
  };

  // ---- HTTP ----------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, detail) {
      super(detail);
      this.status = status;
    }
  }

  async function api(method, path, body) {
    const headers = { Authorization: 'Bearer ' + state.token, Accept: 'application/json' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
    }
    const response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) {
      // Herald's errors are application/problem+json: the detail says what went wrong.
      const problem = await response.json().catch(() => ({}));
      throw new ApiError(response.status, problem.detail || problem.title || response.statusText);
    }
    return response.json();
  }

  function failed(error) {
    if (error instanceof ApiError && error.status === 401) {
      signOut('The token was refused: ' + error.message);
      return;
    }
    showError(error.message || String(error));
  }

  function showError(message) {
    const element = $('error');
    element.textContent = message;
    element.hidden = !message;
  }

  // ---- list ----------------------------------------------------------------------------------

  function render(item) {
    const li = document.createElement('li');
    li.className = 'item';
    li.dataset.id = item.id;
    const title = document.createElement(item.actionUrl ? 'a' : 'div');
    title.className = 'title';
    title.textContent = item.title;
    if (item.actionUrl) {
      title.href = item.actionUrl;
    }
    const body = document.createElement('div');
    body.className = 'body';
    body.textContent = item.body;
    const meta = document.createElement('div');
    meta.className = 'meta';
    meta.textContent = item.category + ' · ' + new Date(item.createdAt).toLocaleString();
    const actions = document.createElement('div');
    actions.className = 'actions';
    const toggle = document.createElement('button');
    toggle.type = 'button';
    toggle.className = 'toggle-read';
    toggle.addEventListener('click', () => mark(item.id, li.classList.contains('unread') ? 'read' : 'unread'));
    const archive = document.createElement('button');
    archive.type = 'button';
    archive.className = 'archive';
    archive.textContent = 'Archive';
    archive.addEventListener('click', () => mark(item.id, 'archive'));
    actions.append(toggle, archive);
    li.append(title, body, meta, actions);
    update(li, item);
    return li;
  }

  function update(li, item) {
    const unread = !item.readAt;
    li.classList.toggle('unread', unread);
    li.querySelector('.toggle-read').textContent = unread ? 'Mark read' : 'Mark unread';
  }

  /** Adds items to the end of the list (a page) or its top (a live arrival), each once. */
  function add(items, atTop) {
    const list = $('items');
    const fresh = items.filter((item) => !state.items.has(item.id));
    const elements = fresh.map((item) => {
      const element = render(item);
      state.items.set(item.id, { item, element });
      return element;
    });
    if (atTop) {
      list.prepend(...elements.reverse());
    } else {
      list.append(...elements);
    }
    $('empty').hidden = state.items.size > 0 || !state.done;
  }

  function remove(id) {
    const entry = state.items.get(id);
    if (entry) {
      entry.element.remove();
      state.items.delete(id);
    }
    $('empty').hidden = state.items.size > 0 || !state.done;
  }

  function setRead(id, readAt) {
    const entry = state.items.get(id);
    if (entry) {
      entry.item.readAt = readAt;
      update(entry.element, entry.item);
    }
  }

  async function loadMore() {
    if (state.loading || state.done || !state.token) {
      return;
    }
    state.loading = true;
    const generation = state.generation;
    try {
      const query = '?limit=' + PAGE_SIZE + (state.cursor ? '&cursor=' + encodeURIComponent(state.cursor) : '');
      const page = await api('GET', '/api/notifications' + query);
      if (generation !== state.generation) {
        return;
      }
      state.cursor = page.nextCursor;
      state.done = !page.nextCursor;
      add(page.items, false);
    } catch (error) {
      failed(error);
    } finally {
      state.loading = false;
    }
    // Still at the end of the list (a tall window, short pages): the next page too.
    if (!state.done && $('more').getBoundingClientRect().top < window.innerHeight) {
      loadMore();
    }
  }

  function reloadList() {
    state.items.clear();
    $('items').replaceChildren();
    state.cursor = null;
    state.done = false;
    loadMore();
  }

  function setBadge(counts) {
    const badge = $('badge');
    badge.textContent = String(counts.unread);
    badge.dataset.count = String(counts.unread);
  }

  async function refreshCounts() {
    try {
      setBadge(await api('GET', '/api/notifications/counts'));
    } catch (error) {
      failed(error);
    }
  }

  async function mark(id, action) {
    try {
      const item = await api('POST', '/api/notifications/' + encodeURIComponent(id) + '/' + action);
      if (action === 'archive') {
        remove(id);
      } else {
        setRead(id, item.readAt);
      }
      showError('');
      refreshCounts();
    } catch (error) {
      failed(error);
    }
  }

  async function readAll() {
    try {
      const result = await api('POST', '/api/notifications/read-all', {});
      const now = new Date().toISOString();
      state.items.forEach((entry, id) => {
        if (!entry.item.readAt) {
          setRead(id, now);
        }
      });
      setBadge(result.counts);
    } catch (error) {
      failed(error);
    }
  }

  // ---- live stream ---------------------------------------------------------------------------

  function setStatus(value, text) {
    const status = $('status');
    status.dataset.state = value;
    status.textContent = text || value;
  }

  function closeSource() {
    if (state.source) {
      state.source.close();
      state.source = null;
    }
    clearTimeout(state.reconnectTimer);
  }

  /** Opens the stream with a new ticket, resuming after the last event seen when there is one. */
  async function connect() {
    const generation = state.generation;
    closeSource();
    let ticket;
    try {
      ticket = await api('POST', '/api/notifications/stream/tickets');
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        failed(error);
      } else {
        reconnectLater(generation);
      }
      return;
    }
    if (generation !== state.generation) {
      return;
    }
    const url = ticket.url + (state.lastEventId ? '&lastEventId=' + encodeURIComponent(state.lastEventId) : '');
    const source = new EventSource(url);
    state.source = source;
    source.onopen = () => {
      state.reconnectDelay = 1000;
      setStatus('live');
    };
    source.onerror = () => {
      if (source !== state.source) {
        return;
      }
      if (source.readyState === EventSource.CLOSED) {
        reconnectLater(generation); // the browser gave up: a new ticket
      } else {
        setStatus('reconnecting'); // the browser retries by itself, with Last-Event-ID
      }
    };
    const on = (type, handle) =>
      source.addEventListener(type, (event) => {
        if (event.lastEventId) {
          state.lastEventId = event.lastEventId;
        }
        handle(JSON.parse(event.data));
      });
    on('inbox-item', (item) => add([item], true));
    on('inbox-read', (change) => change.itemIds.forEach((id) => setRead(id, change.at)));
    on('inbox-unread', (change) => change.itemIds.forEach((id) => setRead(id, null)));
    on('inbox-archived', (change) => change.itemIds.forEach(remove));
    on('inbox-unarchived', () => reloadList());
    on('inbox-seen', () => {});
    on('inbox-counts', setBadge);
    // Fell too far behind: reconnect at once and catch up from the last event seen.
    on('resume', () => connect());
    // What was missed is no longer kept: start over from the newest items.
    on('reset', () => {
      state.lastEventId = null;
      reloadList();
    });
  }

  function reconnectLater(generation) {
    if (generation !== state.generation) {
      return;
    }
    closeSource();
    const delay = state.reconnectDelay;
    state.reconnectDelay = Math.min(delay * 2, MAX_RECONNECT_DELAY_MS);
    setStatus('reconnecting', 'reconnecting in ' + Math.round(delay / 1000) + ' s');
    state.reconnectTimer = setTimeout(() => {
      if (generation === state.generation) {
        connect();
      }
    }, delay);
  }

  // ---- signing in and out --------------------------------------------------------------------

  function subjectOf(token) {
    try {
      const payload = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
      return payload.sub + (payload.tenant ? ' @ ' + payload.tenant : '');
    } catch (error) {
      return '';
    }
  }

  async function signIn(token) {
    state.generation++;
    state.token = token;
    try {
      setBadge(await api('GET', '/api/notifications/counts'));
    } catch (error) {
      failed(error);
      return;
    }
    sessionStorage.setItem('herald.token', token);
    $('sign-in').hidden = true;
    $('inbox').hidden = false;
    $('user').textContent = subjectOf(token);
    showError('');
    state.lastEventId = null;
    // The stream first, then the list: whatever arrives after the list was read comes live, and
    // an item in both shows once.
    connect();
    reloadList();
  }

  function signOut(message) {
    state.generation++;
    closeSource();
    state.token = null;
    sessionStorage.removeItem('herald.token');
    state.items.clear();
    $('items').replaceChildren();
    $('inbox').hidden = true;
    $('sign-in').hidden = false;
    setBadge({ unread: 0 });
    setStatus('signed-out', 'signed out');
    showError(message || '');
  }

  $('sign-in').addEventListener('submit', (event) => {
    event.preventDefault();
    const token = $('token').value.trim();
    if (token) {
      signIn(token);
    }
  });
  $('read-all').addEventListener('click', readAll);
  $('sign-out').addEventListener('click', () => signOut());
  new IntersectionObserver((entries) => {
    if (entries.some((entry) => entry.isIntersecting)) {
      loadMore();
    }
  }).observe($('more'));

  const saved = sessionStorage.getItem('herald.token');
  if (saved) {
    signIn(saved);
  }
})();
