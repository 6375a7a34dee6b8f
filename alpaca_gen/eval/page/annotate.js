"use strict";
// The page knows only what /api/state sends: the texts and "left" / "right". Which model
// wrote which side stays on the server until every item has a vote.
let current = null;
let busy = false;

const $ = (id) => document.getElementById(id);

function show(state) {
  current = state.item;
  $("progress").textContent = `${state.annotator}: ${state.done} of ${state.total} voted`;
  $("error").hidden = true;
  if (!current) {
    $("task").hidden = true;
    $("finished").hidden = false;
    $("undo-final").disabled = !state.can_undo;
    return;
  }
  $("finished").hidden = true;
  $("summary").textContent = "";
  $("task").hidden = false;
  document.documentElement.lang = current.lang === "ko" ? "ko" : "en";
  $("instruction").textContent = current.instruction;
  $("input").textContent = current.input;
  $("input-block").hidden = !current.input;
  $("left").textContent = current.left;
  $("right").textContent = current.right;
  $("undo").disabled = !state.can_undo;
  window.scrollTo(0, 0);
}

async function call(path, body) {
  if (busy) return;
  busy = true;
  try {
    const response = await fetch(path, body === undefined ? {} : {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    const data = await response.json();
    if (!response.ok) throw new Error(data.error || response.statusText);
    return data;
  } catch (error) {
    $("error").textContent = `Not saved: ${error.message}`;
    $("error").hidden = false;
    return null;
  } finally {
    busy = false;
  }
}

async function vote(choice) {
  if (!current) return;
  const state = await call("/api/vote", { item: current.id, choice });
  if (state) show(state);
}

async function undo() {
  const state = await call("/api/undo", {});
  if (state) show(state);
}

async function summary() {
  const data = await call("/api/summary");
  if (!data) return;
  const c = data.counts;
  $("summary").textContent =
    `${data.model_a} ${c.a} : ${data.model_b} ${c.b} : tie ${c.tie} : both bad ${c.both_bad}\n` +
    "(A and B on the page were each model in turn: the sides were drawn at random per item.)\n" +
    `votes: ${data.votes_file}`;
}

const KEYS = { "1": "left", "a": "left", "ArrowLeft": "left", "2": "right", "b": "right", "ArrowRight": "right",
               "3": "tie", "t": "tie", "4": "both_bad", "x": "both_bad" };

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  if (KEYS[key]) { event.preventDefault(); vote(KEYS[key]); }
  else if (key === "u" || key === "Backspace") { event.preventDefault(); undo(); }
});

for (const button of document.querySelectorAll("button[data-choice]")) {
  button.addEventListener("click", () => vote(button.dataset.choice));
}
$("undo").addEventListener("click", undo);
$("undo-final").addEventListener("click", undo);
$("show-summary").addEventListener("click", summary);

call("/api/state").then((state) => { if (state) show(state); });
