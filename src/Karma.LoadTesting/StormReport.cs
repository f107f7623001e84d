using System.Globalization;
using System.Text;
using ScottPlot;

namespace Karma.LoadTesting;

/// <summary>Readable summary and PNG of a storm run.</summary>
public static class StormReport
{
    private const string Rejected = nameof(Grpc.Core.StatusCode.ResourceExhausted);

    /// <summary>Per-phase table, health during the storm, recovery, deadlines; then the whole run's summary.</summary>
    public static string Summary(StormResult s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var r = s.Run;
        var sb = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        sb.AppendLine(c, $"storm: {s.NormalRate:F0} req/s, {s.StormRate:F0} req/s from {s.StormStartSeconds:0.##} s to {s.StormEndSeconds:0.##} s of {r.DurationSeconds:0.##} s; deadline {r.DeadlineMs:F0} ms");
        sb.AppendLine("phase   time (s)      rate     sent       OK  late OK   OK p50   OK p99 | RE p50   RE p99   RE max (from send) | other statuses");
        foreach (var p in r.Phases ?? [])
        {
            var ok = p.ByStatus.GetValueOrDefault(CallStatus.Ok);
            var re = p.ByStatus.GetValueOrDefault(Rejected);
            string others = string.Join(", ", p.ByStatus.Where(kv => kv.Key is not CallStatus.Ok).OrderByDescending(kv => kv.Value.Count)
                .Select(kv => $"{kv.Key} {kv.Value.Count}"));
            sb.AppendLine(c,
                $"{p.Name,-7} {p.StartSeconds,5:0.##}-{p.EndSeconds,-5:0.##} {p.Rate,8:F0} {p.Sent,8} {p.Ok,8} {p.LateOk,8} {Ms(ok?.Corrected.P50)} {Ms(ok?.Corrected.P99)} | {Ms(re?.Uncorrected.P50)} {Ms(re?.Uncorrected.P99)} {Ms(re?.Uncorrected.Max)}                    | {(others.Length == 0 ? "-" : others)}");
        }

        foreach (var probe in r.Probes ?? [])
        {
            if (probe.ByPhase.TryGetValue(StormPlan.Storm, out var during))
            {
                sb.AppendLine(LoadTestReport.ProbeLine($"{probe.Kind} health during the storm", during.Sent, during.Failures, during.Latency));
            }
        }

        sb.AppendLine(s.RecoverySeconds is { } rec
            ? string.Create(c, $"recovery: OK p99 per second back within {s.RecoveryThresholdMs:F2} ms (2 x before-storm p99 {s.BaselineOkP99Ms:F2} ms) {rec:F0} s after the storm, and stayed there")
            : string.Create(c, $"recovery: OK p99 per second not back within {s.RecoveryThresholdMs:F2} ms (2 x before-storm p99 {s.BaselineOkP99Ms:F2} ms) by the end of the run"));
        sb.AppendLine(c, $"deadlines: late OK {r.LateOk}, DeadlineExceeded {r.DeadlineExceeded}");
        sb.AppendLine();
        sb.AppendLine("whole run:");
        sb.Append(LoadTestReport.Summary(r));
        return sb.ToString();
    }

    /// <summary>Latency by outcome over time with the storm shaded and the per-second OK p99 (top); health probe latency (bottom).</summary>
    public static void SavePng(StormResult s, LoadTestRun run, string path)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(run);
        var multi = new Multiplot();
        multi.AddPlots(2);
        multi.Layout = new ScottPlot.MultiplotLayouts.Rows();
        var top = multi.GetPlot(0);
        ReportPlots.Shade(top, s.StormStartSeconds, s.StormEndSeconds, "storm");
        ReportPlots.LatencyByStatus(top, run.Timeline);
        ReportPlots.Line(top, (s.Run.PerSecond ?? []).Select(p => (p.Second + 0.5, p.OkP99Ms)), "OK p99 per second", Colors.Navy);
        ReportPlots.Threshold(top, s.RecoveryThresholdMs, "recovery threshold (2 x before p99)");
        top.Title(string.Create(CultureInfo.InvariantCulture, $"storm: {s.NormalRate:F0} req/s, {s.StormRate:F0} req/s for {s.StormEndSeconds - s.StormStartSeconds:0.##} s"));
        var bottom = multi.GetPlot(1);
        ReportPlots.Shade(bottom, s.StormStartSeconds, s.StormEndSeconds, "storm");
        ReportPlots.Probes(bottom, run.Probes);
        bottom.Title("health probes");
        multi.SharedAxes.ShareX([top, bottom]);
        multi.SavePng(path, 1200, 900);
    }

    private static string Ms(double? ms) => ms is { } v && double.IsFinite(v) ? v.ToString("F2", CultureInfo.InvariantCulture).PadLeft(8) : "       -";
}
