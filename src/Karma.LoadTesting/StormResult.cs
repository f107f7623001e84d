namespace Karma.LoadTesting;

/// <summary>A storm run: normal load, a burst well beyond capacity, normal load again; and how fast latency came back.</summary>
public sealed record StormResult
{
    /// <summary>Rate before and after the storm (req/s).</summary>
    public double NormalRate { get; init; }

    /// <summary>Rate during the storm (req/s).</summary>
    public double StormRate { get; init; }

    /// <summary>Storm start, in seconds after the warm-up.</summary>
    public double StormStartSeconds { get; init; }

    /// <summary>Storm end, in seconds after the warm-up.</summary>
    public double StormEndSeconds { get; init; }

    /// <summary>Successes' corrected p99 before the storm (ms): what normal looks like.</summary>
    public double BaselineOkP99Ms { get; init; }

    /// <summary>Twice the baseline: the per-second OK p99 must be back within this for the run to count as recovered.</summary>
    public double RecoveryThresholdMs { get; init; }

    /// <summary>
    /// Seconds after the storm until the per-second OK p99 (by due time) is within <see cref="RecoveryThresholdMs"/>
    /// and stays there to the end of the run (1 s resolution); null when it had not recovered by the end.
    /// </summary>
    public double? RecoverySeconds { get; init; }

    /// <summary>The whole run, with its phases (before, storm, after) and health probes.</summary>
    public required LoadTestResult Run { get; init; }
}
