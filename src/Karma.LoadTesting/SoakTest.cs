namespace Karma.LoadTesting;

/// <summary>Settings of a soak beyond those of its run.</summary>
public sealed record SoakSettings
{
    /// <summary>The highest sustainable rate, or null to search for it first (<see cref="MaxRateSearch"/>).</summary>
    public double? MaxRps { get; init; }

    /// <summary>Share of the maximum to soak at.</summary>
    public double Share { get; init; } = 0.8;

    /// <summary>The search's p99 objective (ms).</summary>
    public double SloP99Ms { get; init; } = 50;

    /// <summary>Length of each search run.</summary>
    public TimeSpan FindMaxDuration { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The service's Prometheus endpoint.</summary>
    public required Uri MetricsUrl { get; init; }

    /// <summary>Time between samples of it.</summary>
    public TimeSpan SampleEvery { get; init; } = TimeSpan.FromSeconds(5);
}

/// <summary>Runs a soak: find the maximum if needed, then a long run at a share of it while sampling the service's process.</summary>
public static class SoakTest
{
    /// <summary>
    /// <paramref name="run"/> gives the soak's duration, warm-up, mix, target and probes; its rate is where the search
    /// starts. Throws <see cref="InvalidOperationException"/> when no searched rate held the objective.
    /// </summary>
    public static async Task<(SoakResult Result, LoadTestRun Run)> RunAsync(LoadTestRunner runner, LoadTestOptions run, SoakSettings soak,
        TextWriter? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(soak);
        double max;
        List<LoadTestResult>? searchRuns = null;
        if (soak.MaxRps is { } given)
        {
            max = given;
        }
        else
        {
            var (found, best, runs) = await MaxRateSearch.FindAsync(async rate =>
            {
                var r = (await runner.RunAsync(run with { Rate = rate, Duration = soak.FindMaxDuration, Health = null, Storm = null }, progress, cancellationToken)
                    .ConfigureAwait(false)).Result;
                progress?.WriteLine($"[find-max] {rate:F0} req/s: p99 {r.Corrected.P99:F1} ms, errors {r.ErrorRatio:P2}");
                return r;
            }, run.Rate, soak.SloP99Ms).ConfigureAwait(false);
            if (best is null)
            {
                throw new InvalidOperationException($"no rate from {run.Rate:F0} req/s held p99 <= {soak.SloP99Ms:F0} ms: nothing to soak at");
            }

            max = found;
            searchRuns = runs;
        }

        double rate = max * soak.Share;
        progress?.WriteLine($"[soak] {rate:F0} req/s ({soak.Share:P0} of {max:F0}) for {run.Duration.TotalSeconds:F0} s, sampling {soak.MetricsUrl} every {soak.SampleEvery.TotalSeconds:F0} s");
        var sampler = new MetricsSampler(soak.MetricsUrl, soak.SampleEvery);
        var soakRun = await runner.RunAsync(run with { Rate = rate, Storm = null }, progress, [sampler], cancellationToken).ConfigureAwait(false);
        var samples = sampler.Samples;
        var result = new SoakResult
        {
            MaxRps = max,
            MaxRpsSearched = soak.MaxRps is null,
            SloP99Ms = soak.MaxRps is null ? soak.SloP99Ms : null,
            Share = soak.Share,
            Rate = rate,
            MetricsUrl = soak.MetricsUrl.ToString(),
            SampleSeconds = soak.SampleEvery.TotalSeconds,
            Run = soakRun.Result,
            Analysis = SoakAnalysis.Of(samples, run.Duration.TotalSeconds),
            Samples = samples,
            FindMaxRuns = searchRuns,
        };
        return (result, soakRun);
    }
}
