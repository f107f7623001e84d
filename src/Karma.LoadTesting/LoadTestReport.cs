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

        return sb.ToString();
    }

    /// <summary>Latency over time (left) and the corrected latency by percentile (right).</summary>
    public static void SavePng(LoadTestResult r, IReadOnlyList<(double DueSeconds, double Ms)> timeline, string path)
    {
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(timeline);
        var multi = new Multiplot();
        multi.AddPlots(2);
        multi.Layout = new ScottPlot.MultiplotLayouts.Columns();
        var left = multi.GetPlot(0);
        if (timeline.Count > 0)
        {
            var points = left.Add.ScatterPoints(timeline.Select(t => t.DueSeconds).ToArray(), timeline.Select(t => t.Ms).ToArray());
            points.MarkerSize = 2;
        }

        left.Title(string.Create(CultureInfo.InvariantCulture, $"latency over time at {r.Rate:F0} req/s"));
        left.XLabel("due time (s)");
        left.YLabel("corrected latency (ms)");
        var right = multi.GetPlot(1);
        double[] pct = [50, 75, 90, 95, 99, 99.9, 100];
        double[] values = [r.Corrected.P50, double.NaN, r.Corrected.P90, double.NaN, r.Corrected.P99, r.Corrected.P999, r.Corrected.Max];
        var known = pct.Zip(values).Where(p => !double.IsNaN(p.Second)).ToArray();
        var line = right.Add.ScatterLine(known.Select((_, i) => (double)i).ToArray(), known.Select(p => p.Second).ToArray());
        line.LegendText = "corrected";
        right.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            known.Select((p, i) => new Tick(i, "p" + p.First.ToString(CultureInfo.InvariantCulture))).ToArray());
        right.Title("latency by percentile");
        right.YLabel("ms");
        multi.SavePng(path, 1200, 450);
    }
}
