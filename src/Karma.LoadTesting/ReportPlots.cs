using System.Globalization;
using ScottPlot;

namespace Karma.LoadTesting;

/// <summary>Plot pieces the load-test reports share: latency by outcome on a log axis, probes, shaded phases.</summary>
internal static class ReportPlots
{
    private const int MaxPointsPerSeries = 20_000;

    /// <summary>Corrected latency over due time, one colour per outcome, on a log axis (rejections take ~1 ms, stalled successes seconds).</summary>
    public static void LatencyByStatus(Plot plot, IReadOnlyList<TimelinePoint> timeline)
    {
        foreach (var group in timeline.GroupBy(p => p.Status).OrderBy(g => g.Key))
        {
            var points = Thin(group.ToArray());
            var series = plot.Add.ScatterPoints(points.Select(p => p.DueSeconds).ToArray(), points.Select(p => Log(p.Ms)).ToArray());
            series.MarkerSize = 2;
            series.Color = ColorOf(group.Key);
            series.LegendText = $"{CallStatus.Name(group.Key)} ({group.Count().ToString("N0", CultureInfo.InvariantCulture)})";
        }

        LogAxis(plot, timeline.Select(p => (double)p.Ms));
        plot.XLabel("due time (s after warm-up)");
        plot.YLabel("latency from due time (ms, log)");
        if (timeline.Count > 0)
        {
            plot.ShowLegend(Alignment.UpperRight);
        }
    }

    /// <summary>Health probe latency over time, one series per kind, failures marked.</summary>
    public static void Probes(Plot plot, IReadOnlyList<ProbePoint> probes)
    {
        foreach (var kind in probes.GroupBy(p => p.Kind))
        {
            var ok = kind.Where(p => p.Ok).ToArray();
            var series = plot.Add.ScatterPoints(ok.Select(p => p.Seconds).ToArray(), ok.Select(p => Log(p.Ms)).ToArray());
            series.MarkerSize = 4;
            series.Color = kind.Key == "grpc" ? Colors.Blue : Colors.Green;
            series.LegendText = kind.Key + " health";
            var failed = kind.Where(p => !p.Ok).ToArray();
            if (failed.Length > 0)
            {
                var bad = plot.Add.ScatterPoints(failed.Select(p => p.Seconds).ToArray(), failed.Select(p => Log(p.Ms)).ToArray());
                bad.MarkerSize = 6;
                bad.Color = Colors.Red;
                bad.LegendText = kind.Key + " health failed";
            }
        }

        LogAxis(plot, probes.Select(p => p.Ms));
        plot.XLabel("time (s after warm-up)");
        plot.YLabel("probe latency (ms, log)");
        if (probes.Count > 0)
        {
            plot.ShowLegend(Alignment.UpperRight);
        }
    }

    /// <summary>A shaded stretch of time, e.g. the storm.</summary>
    public static void Shade(Plot plot, double from, double to, string label)
    {
        var span = plot.Add.HorizontalSpan(from, to);
        span.FillStyle.Color = Colors.Orange.WithAlpha(0.15);
        span.LineStyle.Width = 0;
        span.LegendText = label;
    }

    /// <summary>A horizontal line at <paramref name="ms"/> on a log latency axis.</summary>
    public static void Threshold(Plot plot, double ms, string label)
    {
        if (double.IsFinite(ms) && ms > 0)
        {
            var line = plot.Add.HorizontalLine(Log(ms));
            line.Color = Colors.Black.WithAlpha(0.6);
            line.LinePattern = LinePattern.Dashed;
            line.LegendText = label;
        }
    }

    /// <summary>A latency line (e.g. per-second p99) on the log axis; NaN seconds are skipped.</summary>
    public static void Line(Plot plot, IEnumerable<(double X, double Ms)> points, string label, Color color)
    {
        var known = points.Where(p => double.IsFinite(p.Ms) && p.Ms > 0).ToArray();
        if (known.Length > 0)
        {
            var line = plot.Add.ScatterLine(known.Select(p => p.X).ToArray(), known.Select(p => Log(p.Ms)).ToArray());
            line.Color = color;
            line.LineWidth = 2;
            line.LegendText = label;
        }
    }

    /// <summary>Decade ticks (0.1, 1, 10, … ms) for values plotted as log10.</summary>
    public static void LogAxis(Plot plot, IEnumerable<double> values)
    {
        var finite = values.Where(v => double.IsFinite(v) && v > 0).ToArray();
        int low = finite.Length == 0 ? -1 : (int)Math.Floor(Math.Log10(finite.Min()));
        int high = finite.Length == 0 ? 3 : (int)Math.Ceiling(Math.Log10(finite.Max()));
        high = Math.Max(high, low + 1);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(Enumerable.Range(low, high - low + 1)
            .Select(e => new Tick(e, Math.Pow(10, e).ToString("0.###", CultureInfo.InvariantCulture))).ToArray());
        plot.Axes.SetLimitsY(low, high);
    }

    private static double Log(double ms) => Math.Log10(Math.Max(ms, 0.001));

    private static TimelinePoint[] Thin(TimelinePoint[] points)
    {
        int stride = Math.Max(1, points.Length / MaxPointsPerSeries);
        return stride == 1 ? points : points.Where((_, i) => i % stride == 0).ToArray();
    }

    private static Color ColorOf(short status) => status switch
    {
        0 => Colors.SteelBlue,
        (short)Grpc.Core.StatusCode.ResourceExhausted => Colors.Orange,
        (short)Grpc.Core.StatusCode.DeadlineExceeded => Colors.Red,
        (short)Grpc.Core.StatusCode.Cancelled => Colors.Gray,
        CallStatus.ClientErrorCode => Colors.Black,
        _ => Colors.Purple,
    };
}
