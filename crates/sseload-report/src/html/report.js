(function () {
  var check = document.getElementById('report-check');
  function fail(message) {
    check.setAttribute('data-status', 'error');
    check.textContent = 'REPORT-CHECK-ERROR: ' + message;
  }
  window.addEventListener('error', function (e) { fail('script error: ' + e.message); });
  try {
    var charts = document.querySelectorAll('svg.chart');
    var points = 0;
    for (var i = 0; i < charts.length; i++) {
      var chart = charts[i];
      var lines = chart.querySelectorAll('path.line');
      var want = Number(chart.getAttribute('data-series'));
      if (lines.length !== want || want === 0) { fail(chart.id + ': ' + lines.length + ' lines, expected ' + want); return; }
      for (var j = 0; j < lines.length; j++) {
        var n = (lines[j].getAttribute('d').match(/[ML]/g) || []).length;
        if (n === 0) { fail(chart.id + ': line ' + lines[j].getAttribute('data-label') + ' has no points'); return; }
        points += n;
      }
      if (chart.getBoundingClientRect().width === 0) { fail(chart.id + ': not rendered'); return; }
    }
    check.setAttribute('data-status', 'ok');
    check.textContent = 'REPORT-CHECK-OK charts=' + charts.length + ' points=' + points;
  } catch (e) {
    fail(String(e));
  }
})();
