namespace Karma.LoadTesting;

/// <summary>Runs a storm (a run with <see cref="LoadTestOptions.Storm"/>) and works out the recovery.</summary>
public static class StormTest
{
    /// <summary>Runs <paramref name="options"/>, which must have a storm.</summary>
    public static async Task<(StormResult Result, LoadTestRun Run)> RunAsync(LoadTestRunner runner, LoadTestOptions options,
        TextWriter? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(options);
        var storm = options.Storm ?? throw new ArgumentException("the options have no storm", nameof(options));
        var run = await runner.RunAsync(options, progress, cancellationToken).ConfigureAwait(false);
        return (Analyze(run, storm, options.Duration), run);
    }

    /// <summary>The storm figures of a finished run of <paramref name="duration"/>.</summary>
    public static StormResult Analyze(LoadTestRun run, StormSettings storm, TimeSpan duration)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(storm);
        var before = run.Result.Phases?.FirstOrDefault(p => p.Name == StormPlan.Before);
        double baseline = before?.ByStatus.GetValueOrDefault(CallStatus.Ok)?.Corrected.P99 ?? double.NaN;
        double threshold = 2 * baseline;
        return new StormResult
        {
            NormalRate = run.Result.Rate,
            StormRate = storm.Rate,
            StormStartSeconds = storm.At.TotalSeconds,
            StormEndSeconds = storm.End.TotalSeconds,
            BaselineOkP99Ms = baseline,
            RecoveryThresholdMs = threshold,
            RecoverySeconds = TimelineAnalysis.RecoverySeconds(run.Timeline, storm.End.TotalSeconds, duration.TotalSeconds, threshold),
            Run = run.Result,
        };
    }
}
