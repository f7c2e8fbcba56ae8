// location-ops: the quick exit, after the fact. Loaded in <head> (not deferred) on every page.
// The quick exit replaces the page it leaves, but the pages before it stay in the tab's history.
// Once it has been used in this tab, a page reached with Back or Forward goes on to the neutral
// site before it is shown; opening a page any other way (a link, a typed address) forgets that.
(function () {
  "use strict";
  var KEY = "location-ops-quick-exit";
  var store;
  try {
    store = window.sessionStorage;
  } catch (error) {
    return;  // storage blocked: the quick exit itself still works
  }

  function leave() {
    var target = store.getItem(KEY);
    if (!target) return false;
    document.documentElement.style.display = "none";
    window.location.replace(target);
    return true;
  }

  var entries = window.performance && performance.getEntriesByType ? performance.getEntriesByType("navigation") : [];
  var byHistory = entries.length > 0 && entries[0].type === "back_forward";
  if (!(byHistory && leave())) store.removeItem(KEY);
  // A page restored from the back/forward cache runs no script again: catch it here.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) leave();
  });
})();
