using System.Globalization;
using System.Text;
using ScottPlot;

namespace Karma.LoadTesting;

/// <summary>Readable summary and PNG of a soak.</summary>
public static class SoakReport
{
    private const double Mb = 1024 * 1024;

    /// <summary>Rate and errors, memory growth after warm-up, GC and thread-pool figures; then the run's summary.</summary>
    public static string Summary(SoakResult s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var r = s.Run;
        var a = s.Analysis;
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        string source = s.MaxRpsSearched ? $"found by find-max, p99 <= {s.SloP99Ms:F0} ms" : "given";
        sb.AppendLine(c, $"soak: {s.Rate:F0} req/s = {s.Share:P0} of {s.MaxRps:F0} req/s ({source}) for {r.DurationSeconds:F0} s");
        long errors = r.Errors.Values.Sum();
        sb.AppendLine(c, $"errors: {errors}{(errors == 0 ? "" : " (" + string.Join(", ", r.Errors.Select(kv => $"{kv.Key} {kv.Value}")) + ")")} of {r.Sent} sent");
        sb.AppendLine(c, $"RSS: {F(a.RssStartMb)} MB at start, {F(a.RssEndMb)} MB at end, {F(a.RssMaxMb)} MB max; growth after warm-up (from {a.WarmupSeconds:F0} s, {a.SamplesFitted} samples): {Signed(a.RssGrowthMbPerMinute)} MB/min");
        sb.AppendLine(c, $"GC heap: {F(a.GcHeapStartMb)} MB at start, {F(a.GcHeapEndMb)} MB at end; growth after warm-up {Signed(a.GcHeapGrowthMbPerMinute)} MB/min; allocation {F(a.AllocatedMbPerSecond)} MB/s; pauses {F(a.GcPauseSeconds, "F3")} s");
        sb.AppendLine(c, $"GC collections during the run: {(a.GcCollections is null ? "n/a" : string.Join(", ", a.GcCollections.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key} {kv.Value:F0}")))}");
        sb.AppendLine(c, $"thread pool: queue max {F(a.ThreadPoolQueueMax, "F0")}, mean {F(a.ThreadPoolQueueMean)}; threads max {F(a.ThreadPoolThreadsMax, "F0")}; service CPU {F(a.CpuCores)} cores");
        sb.AppendLine(c, $"samples: {s.Samples.Count} from {s.MetricsUrl} every {s.SampleSeconds:F0} s, {a.FailedScrapes} failed");
        sb.AppendLine();
        sb.Append(LoadTestReport.Summary(r));
        return sb.ToString();
    }

    /// <summary>Latency by outcome, memory (RSS, GC heap), thread pool (queue, threads) and GC collections over time.</summary>
    public static void SavePng(SoakResult s, LoadTestRun run, string path)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(run);
        var good = s.Samples.Where(x => x.Error is null).ToArray();
        double[] t = good.Select(x => x.Seconds).ToArray();
        var multi = new Multiplot();
        multi.AddPlots(4);
        multi.Layout = new ScottPlot.MultiplotLayouts.Grid(2, 2);
        var latency = multi.GetPlot(0);
        ReportPlots.LatencyByStatus(latency, run.Timeline);
        latency.Title(string.Create(CultureInfo.InvariantCulture, $"soak at {s.Rate:F0} req/s"));

        var memory = multi.GetPlot(1);
        Series(memory, t, good.Select(x => x.RssBytes / Mb), "RSS", Colors.SteelBlue);
        Series(memory, t, good.Select(x => x.GcHeapBytes / Mb), "GC heap (after latest GC)", Colors.Orange);
        Series(memory, t, good.Select(x => x.GcCommittedBytes / Mb), "GC committed", Colors.Gray);
        memory.Title(string.Create(CultureInfo.InvariantCulture, $"memory: RSS growth {Signed(s.Analysis.RssGrowthMbPerMinute)} MB/min after {s.Analysis.WarmupSeconds:F0} s"));
        memory.YLabel("MB");
        memory.XLabel("time (s after warm-up)");
        memory.ShowLegend(Alignment.MiddleRight); // RSS runs along the top, the GC lines along the bottom

        var pool = multi.GetPlot(2);
        Series(pool, t, good.Select(x => x.ThreadPoolQueueLength), "thread-pool queue length", Colors.Red);
        Series(pool, t, good.Select(x => x.ThreadPoolThreads), "thread-pool threads", Colors.SeaGreen);
        pool.Title("thread pool");
        pool.XLabel("time (s after warm-up)");
        pool.ShowLegend(Alignment.UpperRight);

        var gc = multi.GetPlot(3);
        var first = good.FirstOrDefault()?.GcCollections;
        foreach (string gen in good.SelectMany(x => x.GcCollections?.Keys ?? []).Distinct().Order())
        {
            Series(gc, t, good.Select(x => x.GcCollections?.GetValueOrDefault(gen) - first?.GetValueOrDefault(gen)), gen, gen switch
            {
                "gen0" => Colors.SteelBlue,
                "gen1" => Colors.Orange,
                _ => Colors.Red,
            });
        }

        gc.Title("GC collections since the first sample");
        gc.XLabel("time (s after warm-up)");
        gc.ShowLegend(Alignment.UpperLeft);
        multi.SavePng(path, 1400, 900);
    }

    private static void Series(Plot plot, double[] t, IEnumerable<double?> values, string label, Color color)
    {
        var known = t.Zip(values).Where(p => p.Second is { } v && double.IsFinite(v)).ToArray();
        if (known.Length == 0)
        {
            return;
        }

        var line = plot.Add.ScatterLine(known.Select(p => p.First).ToArray(), known.Select(p => p.Second!.Value).ToArray());
        line.Color = color;
        line.LegendText = label;
    }

    private static string F(double? v, string format = "F1") => v is { } x && double.IsFinite(x) ? x.ToString(format, CultureInfo.InvariantCulture) : "n/a";

    private static string Signed(double? v) => v is { } x && double.IsFinite(x) ? x.ToString("+0.000;-0.000;0.000", CultureInfo.InvariantCulture) : "n/a";
}
