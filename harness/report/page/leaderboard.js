// The leaderboard page's behaviour: plots, sorting, filters, the chosen cell, downloads.
// Everything it needs is in the page (harness/report/html.py writes it).
"use strict";
(function () {
  const data = (id) => JSON.parse(document.getElementById(id).textContent);
  const table = document.getElementById("ranking-table");
  const choice = document.getElementById("cell-choice");
  const views = {};

  // Sort by a column when its header is clicked: numbers as numbers, unmeasured ones last.
  function sortBy(column, header) {
    const ascending = header.getAttribute("aria-sort") !== "ascending";
    const body = table.tBodies[0];
    const key = (row) => row.cells[column].dataset.sort;
    const rows = Array.from(body.rows);
    const numeric = rows.every((row) => key(row) === "" || !Number.isNaN(Number(key(row))));
    rows.sort((a, b) => {
      const [x, y] = [key(a), key(b)];
      if (x === "" || y === "") return (x === "") - (y === "");
      const order = numeric ? Number(x) - Number(y) : x.localeCompare(y);
      return ascending ? order : -order;
    });
    rows.forEach((row) => body.appendChild(row));
    table.querySelectorAll("th").forEach((th) => th.setAttribute("aria-sort", "none"));
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }

  // Show the rows (and points) of the architectures and paddings whose boxes are ticked.
  function filter() {
    const ticked = (name) =>
      new Set(Array.from(document.querySelectorAll(`input[name=${name}]:checked`), (box) => box.value));
    const architectures = ticked("architecture");
    const paddings = ticked("padding");
    const shown = [];
    for (const row of table.tBodies[0].rows) {
      row.hidden = !(architectures.has(row.dataset.architecture) && paddings.has(row.dataset.padding));
      if (!row.hidden) shown.push(row.dataset.cell);
    }
    if (views["plot-throughput"]) views["plot-throughput"].signal("shown", shown).runAsync();
  }

  // Show one cell's curves, confusion matrix, per-class scores and calibration.
  function show(cell) {
    choice.value = cell;
    let calibrated = false;
    document.querySelectorAll(".cell-detail").forEach((detail) => {
      detail.hidden = detail.dataset.cell !== cell;
      if (!detail.hidden) calibrated = detail.querySelector("[data-calibrated=true]") !== null;
    });
    for (const id of ["plot-curves", "plot-reliability"]) {
      if (views[id]) views[id].signal("cell", cell).runAsync();
    }
    document.getElementById("plot-reliability").hidden = !calibrated;
    for (const row of table.tBodies[0].rows) row.classList.toggle("chosen", row.dataset.cell === cell);
  }

  function download(name, type, text) {
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([text], { type }));
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
  }

  if (!table) {
    document.body.dataset.ready = "true"; // no cell finished: nothing to plot or choose
    return;
  }
  table.querySelectorAll("th").forEach((header, column) =>
    header.querySelector("button").addEventListener("click", () => sortBy(column, header)));
  document.querySelectorAll(".controls input").forEach((box) => box.addEventListener("change", filter));
  table.tBodies[0].addEventListener("click", (event) => {
    const row = event.target.closest("tr");
    if (row) show(row.dataset.cell);
  });
  choice.addEventListener("change", () => show(choice.value));
  document.getElementById("download-csv").addEventListener("click", () =>
    download("leaderboard.csv", "text/csv", data("table-csv")));
  document.getElementById("download-rows").addEventListener("click", () =>
    download("results.json", "application/json",
      JSON.stringify(data("result-rows"), null, 1)));

  const options = {
    renderer: "svg",
    actions: { export: true, source: false, compiled: false, editor: false },
  };
  const plots = Array.from(document.querySelectorAll(".plot"), (div) =>
    vegaEmbed(div, data(div.dataset.spec), options).then((result) => {
      views[div.id] = result.view;
    }));
  Promise.all(plots)
    .then(() => {
      views["plot-throughput"].addEventListener("click", (event, item) => {
        if (item && item.datum && item.datum.cell) show(item.datum.cell);
      });
      show(choice.value);
      filter();
      document.body.dataset.ready = "true";
    })
    .catch((error) => console.error("a plot failed to render:", error));
})();
