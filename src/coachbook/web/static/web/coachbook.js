// Session timer: start, pause and reset; kept per session in this browser so a
// reload does not lose it. Turns red when the session runs over its time.
(function () {
  function setup(timer) {
    var key = "coachbook-timer-" + timer.dataset.session;
    var minutes = parseInt(timer.dataset.minutes, 10);
    var clock = timer.querySelector(".timer-clock");
    var toggle = timer.querySelector(".timer-toggle");
    var reset = timer.querySelector(".timer-reset");
    var state = JSON.parse(localStorage.getItem(key) || "null") || { elapsed: 0, since: null };

    function elapsed() {
      return state.elapsed + (state.since ? Date.now() - state.since : 0);
    }
    function pad(n) { return (n < 10 ? "0" : "") + n; }
    function save() { localStorage.setItem(key, JSON.stringify(state)); }
    function render() {
      var secs = Math.floor(elapsed() / 1000);
      clock.textContent = pad(Math.floor(secs / 60)) + ":" + pad(secs % 60);
      timer.classList.toggle("over", secs > minutes * 60);
      toggle.textContent = state.since ? "Pause" : (state.elapsed ? "Resume" : "Start timer");
      reset.hidden = !state.elapsed && !state.since;
    }
    toggle.addEventListener("click", function () {
      if (state.since) { state.elapsed = elapsed(); state.since = null; } else { state.since = Date.now(); }
      save(); render();
    });
    reset.addEventListener("click", function () {
      if (!window.confirm("Reset the timer to 00:00?")) return;
      state = { elapsed: 0, since: null }; save(); render();
    });
    render();
    setInterval(render, 1000);
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".timer").forEach(setup);
  });
  // Print buttons: a click handler here, since the Content-Security-Policy
  // forbids onclick attributes.
  document.addEventListener("click", function (event) {
    if (event.target instanceof Element && event.target.closest("[data-print]")) {
      window.print();
    }
  });
})();
