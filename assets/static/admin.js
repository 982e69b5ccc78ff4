// hancup admin behaviour, loaded as a file (the CSP forbids inline script). Every feature is an
// enhancement: without this script the forms still submit and the server still validates.
(function () {
  "use strict";

  function csrfToken(el) {
    var form = el.closest("form") || document.querySelector("form");
    var input = form && form.querySelector("input[name=csrf_token]");
    return input ? input.value : "";
  }

  // On a phone the menu and the filters start folded, so the list comes first.
  if (window.matchMedia("(max-width: 820px)").matches) {
    document.querySelectorAll("details.admin-nav, details.changelist__filter").forEach(function (d) {
      d.open = false;
    });
  }

  // Change list: the header checkbox selects every row.
  var all = document.getElementById("select-all");
  if (all) {
    all.addEventListener("change", function () {
      document.querySelectorAll(".row-select").forEach(function (box) { box.checked = all.checked; });
    });
  }

  // Searchable filters (large related tables): show the server's matches while typing. The
  // form itself works without this (a GET the server answers with the same list).
  document.querySelectorAll("[data-filter-search]").forEach(function (input) {
    var name = input.dataset.filterSearch;
    var form = input.form;
    var timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var query = new URLSearchParams(new FormData(form)).toString();
        fetch(form.action + "?" + query, { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.text() : ""; })
          .then(function (html) {
            if (!html) { return; }
            var doc = new DOMParser().parseFromString(html, "text/html");
            var fresh = doc.querySelector('[data-filter-choices="' + name + '"]');
            var current = document.querySelector('[data-filter-choices="' + name + '"]');
            if (fresh && current) { current.replaceWith(document.importNode(fresh, true)); }
          });
      }, 250);
    });
  });

  // Markdown: live preview through the server's sanitiser (the same HTML the site shows).
  document.querySelectorAll("textarea[data-preview]").forEach(function (area) {
    var target = document.getElementById(area.dataset.preview);
    var url = document.body.dataset.previewUrl || "/admin/preview";
    var timer = null;
    function render() {
      var body = new URLSearchParams();
      body.set("csrf_token", csrfToken(area));
      body.set("text", area.value);
      fetch(url, { method: "POST", body: body, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : ""; })
        .then(function (html) { target.innerHTML = html; });
    }
    area.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(render, 250);
    });
    if (area.value) { render(); }
  });

  // Foreign keys to large tables: type to search, pick a result to fill the id.
  function wireAutocomplete(box) {
    var url = box.dataset.url;
    var search = box.querySelector(".autocomplete__search");
    var value = box.querySelector("[data-autocomplete-value]");
    var label = box.querySelector(".autocomplete__label");
    var list = box.querySelector(".autocomplete__results");
    if (!url || !search || !value) { return; }
    var timer = null;
    search.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var q = search.value.trim();
        if (!q) { list.hidden = true; return; }
        fetch(url + "?q=" + encodeURIComponent(q), { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (items) {
            list.textContent = "";
            items.forEach(function (item) {
              var li = document.createElement("li");
              var b = document.createElement("button");
              b.type = "button";
              b.textContent = item.label;
              b.addEventListener("click", function () {
                value.value = item.id;
                label.textContent = item.label;
                list.hidden = true;
                search.value = "";
              });
              li.appendChild(b);
              list.appendChild(li);
            });
            list.hidden = items.length === 0;
          });
      }, 200);
    });
  }
  document.querySelectorAll(".autocomplete").forEach(wireAutocomplete);

  // Inlines: add a row from the template, move rows up and down (renumbering the order).
  document.querySelectorAll("[data-inline]").forEach(function (group) {
    var total = group.querySelector("[data-inline-total]");
    var rows = group.querySelector("[data-inline-rows]");
    var template = group.querySelector("template[data-inline-template]");
    function renumber() {
      var n = 1;
      rows.querySelectorAll("tr").forEach(function (tr) {
        var order = tr.querySelector("[data-order]");
        if (order) { order.value = n; }
        n += 1;
      });
    }
    var add = group.querySelector("[data-inline-add]");
    // Without the inline model's add permission there is no template and no button.
    if (add && total && template) add.addEventListener("click", function () {
      var index = parseInt(total.value, 10) || 0;
      var html = template.innerHTML.split("__prefix__").join(String(index));
      var holder = document.createElement("tbody");
      holder.innerHTML = html;
      var row = holder.firstElementChild;
      rows.appendChild(row);
      total.value = index + 1;
      row.querySelectorAll(".autocomplete").forEach(wireAutocomplete);
      renumber();
      var first = row.querySelector("input[type=text]");
      if (first) { first.focus(); }
    });
    rows.addEventListener("click", function (e) {
      var button = e.target.closest("[data-move]");
      if (!button) { return; }
      var tr = button.closest("tr");
      if (button.dataset.move === "up" && tr.previousElementSibling) {
        rows.insertBefore(tr, tr.previousElementSibling);
      } else if (button.dataset.move === "down" && tr.nextElementSibling) {
        rows.insertBefore(tr.nextElementSibling, tr);
      }
      renumber();
    });
    rows.addEventListener("change", function (e) {
      if (e.target.name && e.target.name.slice(-7) === "-DELETE") {
        e.target.closest("tr").classList.toggle("inline-row--deleted", e.target.checked);
      }
    });
  });

  // Uploads: refuse a file over the limit before sending it (the server checks again).
  document.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
    input.addEventListener("change", function () {
      var max = parseInt(input.dataset.maxBytes, 10);
      if (input.files[0] && input.files[0].size > max) {
        input.setCustomValidity(input.closest("form").querySelector(".help").textContent);
        input.reportValidity();
        input.value = "";
      } else {
        input.setCustomValidity("");
      }
    });
  });
})();
