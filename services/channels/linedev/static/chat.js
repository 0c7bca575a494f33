// The stand-in's chat page: one citizen per tab (a LINE-shaped userId kept in sessionStorage), whose texts and
// taps the stand-in sends to ingest as signed webhooks; the bot's replies and pushes are polled from /chat/<id>.
"use strict";
(function () {
  const chat = document.getElementById("chat");
  const quick = document.getElementById("quick");
  const input = document.getElementById("text");
  let user = sessionStorage.getItem("line-user");
  let seen = 0;
  let busy = Promise.resolve();

  function newUser() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    user = "U" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    sessionStorage.setItem("line-user", user);
    document.getElementById("user").textContent = user;
    chat.replaceChildren();
    quick.replaceChildren();
    seen = 0;
  }

  async function post(action, body) {
    const response = await fetch(`/chat/${user}/${action}`, {
      method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
    if (!response.ok) {
      add({who: "system", text: `${response.status}: ${(await response.json()).message}`, buttons: []});
    }
    await refresh();
  }

  function tap(button) {
    quick.replaceChildren();
    if (button.type === "postback") return post("tap", {data: button.data, shown: button.text});
    if (button.type === "message") return post("say", {text: button.text});
    return Promise.resolve();
  }

  function buttonFor(b) {
    if (b.type === "uri") {
      const link = document.createElement("a");
      link.href = b.uri; link.textContent = b.label; link.rel = "noopener";
      return link;
    }
    const el = document.createElement("button");
    el.type = "button";
    el.textContent = b.label;
    el.addEventListener("click", () => { busy = busy.then(() => tap(b)); });
    return el;
  }

  function add(entry) {
    const li = document.createElement("li");
    li.className = entry.who;
    if (entry.pushed) {
      const tag = document.createElement("span");
      tag.className = "tag"; tag.textContent = "push";
      li.append(tag);
    }
    li.append(entry.text);
    const inline = entry.buttons.filter((b) => !b.quick);
    if (inline.length) {
      const row = document.createElement("div");
      row.className = "actions";
      row.append(...inline.map(buttonFor));
      li.append(row);
    }
    chat.append(li);
    li.scrollIntoView({block: "nearest"});
    if (entry.who === "bot") quick.replaceChildren(...entry.buttons.filter((b) => b.quick).map(buttonFor));
  }

  async function refresh() {
    const response = await fetch(`/chat/${user}?since=${seen}`);
    if (!response.ok) return;
    for (const entry of (await response.json()).entries) {
      seen = Math.max(seen, entry.seq);
      add(entry);
    }
  }

  document.getElementById("say").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    input.value = "";
    quick.replaceChildren();
    busy = busy.then(() => post("say", {text}));
  });
  document.getElementById("new").addEventListener("click", () => { busy = busy.then(newUser); });
  document.getElementById("follow").addEventListener("click", () => { busy = busy.then(() => post("follow", {})); });

  if (user && /^U[0-9a-f]{32}$/.test(user)) {
    document.getElementById("user").textContent = user;
  } else {
    newUser();
  }
  busy = busy.then(refresh);
  setInterval(() => { busy = busy.then(refresh); }, 2000);
})();
