// miniCRM service worker: serves the app shell with no network.
//
// The precache list and version below are written at build time by `cargo xtask precache`
// (a Trunk post_build hook) from the files Trunk emitted; never edit them by hand.
// A new version installs in the background and waits; the page offers a reload and sends
// "skip-waiting" when the user accepts, so one page never mixes old and new files.
'use strict';

const VERSION = '__MINICRM_VERSION__';
const PRECACHE = /*__MINICRM_PRECACHE__*/ [];
const CACHE = `minicrm-shell-${VERSION}`;
const SHELL = '/index.html';

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(PRECACHE.map((url) => new Request(url, { cache: 'reload' })))),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(
        names
          .filter((name) => name.startsWith('minicrm-shell-') && name !== CACHE)
          .map((name) => caches.delete(name)),
      );
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('message', (event) => {
  if (event.data === 'skip-waiting') {
    self.skipWaiting();
  } else if (event.data === 'claim') {
    // A page that opened while this worker was activating can miss the claim above (its
    // navigation was still in flight); it asks again, or it would not open offline.
    event.waitUntil(self.clients.claim().catch(() => {}));
  }
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  // The API is never cached: the app's own data lives in IndexedDB.
  if (url.origin !== self.location.origin || url.pathname.startsWith('/api/')) return;
  if (request.mode === 'navigate') {
    // Every app route is the same shell, always from this version's cache.
    event.respondWith(
      caches
        .open(CACHE)
        .then((cache) => cache.match(SHELL))
        .then((cached) => cached || fetch(request)),
    );
    return;
  }
  event.respondWith(
    caches
      .open(CACHE)
      .then((cache) => cache.match(request, { ignoreSearch: true }))
      .then((cached) => cached || fetch(request)),
  );
});
