// Completions while typing, from GET /suggest, offered through a <datalist>.
// Without this script the search box is a plain form field: nothing depends on it.
(function () {
  "use strict";
  var box = document.querySelector("input[data-suggest]");
  if (!box || !window.fetch) return;
  var list = document.createElement("datalist");
  list.id = "q-suggestions";
  box.parentNode.appendChild(list);
  box.setAttribute("list", list.id);
  var timer = null, asked = "";
  function show(items) {
    list.textContent = "";
    items.forEach(function (item) {
      var option = document.createElement("option");
      option.value = item.text;
      option.label = item.documents + (item.documents === 1 ? " article" : " articles");
      list.appendChild(option);
    });
  }
  function ask() {
    var q = box.value;
    if (q === asked) return;
    asked = q;
    if (!q.trim()) { show([]); return; }
    fetch(box.dataset.suggest + "?q=" + encodeURIComponent(q), {headers: {Accept: "application/json"}})
      .then(function (r) { return r.ok ? r.json() : {suggestions: []}; })
      .then(function (body) { if (box.value === q) show(body.suggestions || []); })
      .catch(function () { show([]); });
  }
  box.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(ask, 120);
  });
})();
