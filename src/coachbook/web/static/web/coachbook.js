// Session timer: counts up from when the manager starts it; kept per session in
// this browser so a reload does not lose it.
(function () {
  function setup(timer) {
    var key = "coachbook-timer-" + timer.dataset.session;
    var minutes = parseInt(timer.dataset.minutes, 10);
    var clock = timer.querySelector(".timer-clock");
    var button = timer.querySelector(".timer-toggle");
    var started = parseInt(localStorage.getItem(key) || "0", 10);

    function pad(n) { return (n < 10 ? "0" : "") + n; }
    function tick() {
      if (!started) return;
      var secs = Math.floor((Date.now() - started) / 1000);
      clock.textContent = pad(Math.floor(secs / 60)) + ":" + pad(secs % 60);
      timer.classList.toggle("over", secs > minutes * 60);
    }
    button.textContent = started ? "Reset timer" : "Start timer";
    button.addEventListener("click", function () {
      started = started ? 0 : Date.now();
      if (started) { localStorage.setItem(key, String(started)); } else { localStorage.removeItem(key); clock.textContent = "00:00"; }
      button.textContent = started ? "Reset timer" : "Start timer";
      tick();
    });
    tick();
    setInterval(tick, 1000);
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".timer").forEach(setup);
  });
})();
