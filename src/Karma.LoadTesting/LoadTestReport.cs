using System.Globalization;
using System.Text;
using ScottPlot;

namespace Karma.LoadTesting;

/// <summary>Readable summary and PNG of a load-test run.</summary>
public static class LoadTestReport
{
    /// <summary>A text table of the run.</summary>
    public static string Summary(LoadTestResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"target {r.Target}: {r.Rate:F0} req/s for {r.DurationSeconds:F0} s; sent {r.Sent}, achieved {r.AchievedRate:F1} ok/s, errors {r.Errors.Values.Sum()} ({r.ErrorRatio:P2})");
        sb.AppendLine(CultureInfo.InvariantCulture, $"mix: {string.Join(", ", r.Mix.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key} {kv.Value}"))}");
        sb.AppendLine("latency (ms)              p50      p90      p99    p99.9      max");
        foreach (var (name, p) in new[] { ("corrected (from due time)", r.Corrected), ("uncorrected (from send)", r.Uncorrected) })
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"{name,-25} {p.P50,7:F2}  {p.P90,7:F2}  {p.P99,7:F2}  {p.P999,7:F2}  {p.Max,7:F2}");
        }

        foreach (var (status, count) in r.Errors.OrderByDescending(kv => kv.Value))
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"error {status}: {count}");
        }

        if (r.ByStatus.Count > 0)
        {
            sb.Append(ByStatusTable(r.ByStatus));
        }

        sb.AppendLine(CultureInfo.InvariantCulture, $"deadline {r.DeadlineMs:F0} ms: late OK {r.LateOk}, DeadlineExceeded {r.DeadlineExceeded}");
        foreach (var probe in r.Probes ?? [])
        {
            sb.AppendLine(ProbeLine(probe.Kind + " health", probe.Sent, probe.Failures, probe.Latency));
        }

        return sb.ToString();
    }

    /// <summary>Count and latency (from due time and from send) of each outcome, OK first.</summary>
    public static string ByStatusTable(IReadOnlyDictionary<string, StatusLatency> byStatus)
    {
        ArgumentNullException.ThrowIfNull(byStatus);
        var sb = new StringBuilder();
        sb.AppendLine("by status (ms)           count   corrected p50/p99/max       from send p50/p99/max");
        foreach (var (status, s) in byStatus.OrderBy(kv => kv.Key == CallStatus.Ok ? 0 : 1).ThenByDescending(kv => kv.Value.Count))
        {
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"{status,-20} {s.Count,9}   {s.Corrected.P50,7:F2} {s.Corrected.P99,8:F2} {s.Corrected.Max,8:F2}   {s.Uncorrected.P50,7:F2} {s.Uncorrected.P99,8:F2} {s.Uncorrected.Max,8:F2}");
        }

        return sb.ToString();
    }

    /// <summary>One line about health probes: count, failures by reason, latency.</summary>
    public static string ProbeLine(string name, long sent, IReadOnlyDictionary<string, long> failures, Percentiles latency)
    {
        ArgumentNullException.ThrowIfNull(failures);
        ArgumentNullException.ThrowIfNull(latency);
        string reasons = failures.Count == 0 ? "" : " (" + string.Join(", ", failures.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key} {kv.Value}")) + ")";
        return string.Create(CultureInfo.InvariantCulture,
            $"{name}: sent {sent}, failed {failures.Values.Sum()}{reasons}, latency p50 {latency.P50:F2} ms, p99 {latency.P99:F2} ms, max {latency.Max:F2} ms");
    }

    /// <summary>Latency over time by outcome (left) and the successes' corrected latency by percentile (right).</summary>
    public static void SavePng(LoadTestResult r, IReadOnlyList<TimelinePoint> timeline, string path)
    {
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(timeline);
        var multi = new Multiplot();
        multi.AddPlots(2);
        multi.Layout = new ScottPlot.MultiplotLayouts.Columns();
        var left = multi.GetPlot(0);
        ReportPlots.LatencyByStatus(left, timeline);
        left.Title(string.Create(CultureInfo.InvariantCulture, $"latency over time at {r.Rate:F0} req/s"));
        var right = multi.GetPlot(1);
        double[] pct = [50, 75, 90, 95, 99, 99.9, 100];
        double[] values = [r.Corrected.P50, double.NaN, r.Corrected.P90, double.NaN, r.Corrected.P99, r.Corrected.P999, r.Corrected.Max];
        var known = pct.Zip(values).Where(p => !double.IsNaN(p.Second)).ToArray();
        var line = right.Add.ScatterLine(known.Select((_, i) => (double)i).ToArray(), known.Select(p => p.Second).ToArray());
        line.LegendText = "corrected";
        right.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            known.Select((p, i) => new Tick(i, "p" + p.First.ToString(CultureInfo.InvariantCulture))).ToArray());
        right.Title("latency by percentile (OK)");
        right.YLabel("ms");
        multi.SavePng(path, 1200, 450);
    }
}
