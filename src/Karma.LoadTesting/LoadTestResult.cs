using System.Text.Json.Serialization;

namespace Karma.LoadTesting;

/// <summary>Latency percentiles in milliseconds.</summary>
public sealed record Percentiles(double P50, double P90, double P99, double P999, double Max)
{
    /// <summary>Reads a histogram in microseconds.</summary>
    public static Percentiles Of(HdrHistogram.HistogramBase h)
    {
        ArgumentNullException.ThrowIfNull(h);
        if (h.TotalCount == 0)
        {
            return new Percentiles(double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
        }

        return new Percentiles(h.GetValueAtPercentile(50) / 1000.0, h.GetValueAtPercentile(90) / 1000.0, h.GetValueAtPercentile(99) / 1000.0,
            h.GetValueAtPercentile(99.9) / 1000.0, h.GetValueAtPercentile(100) / 1000.0);
    }
}

/// <summary>What a load-test run measured.</summary>
public sealed record LoadTestResult
{
    /// <summary>Target address.</summary>
    public required string Target { get; init; }

    /// <summary>Requested rate (requests/s).</summary>
    public double Rate { get; init; }

    /// <summary>Requested duration (s).</summary>
    public double DurationSeconds { get; init; }

    /// <summary>Requests sent.</summary>
    public long Sent { get; init; }

    /// <summary>Successful requests per second over the run's wall time.</summary>
    public double AchievedRate { get; init; }

    /// <summary>Latency from each request's due time (coordinated-omission corrected).</summary>
    public required Percentiles Corrected { get; init; }

    /// <summary>Latency from the actual send (what a closed-loop tester would report), for comparison.</summary>
    public required Percentiles Uncorrected { get; init; }

    /// <summary>Errors by gRPC status.</summary>
    public required IReadOnlyDictionary<string, long> Errors { get; init; }

    /// <summary>Count and latency of every outcome (OK and each error status, named as in <see cref="CallStatus"/>).</summary>
    public IReadOnlyDictionary<string, StatusLatency> ByStatus { get; init; } = new Dictionary<string, StatusLatency>();

    /// <summary>Per-call deadline (ms).</summary>
    public double DeadlineMs { get; init; }

    /// <summary>Successes whose answer came later than the deadline after the send (see <see cref="LatencyRecorder.LateOk"/>).</summary>
    public long LateOk { get; init; }

    /// <summary>Calls that ended DEADLINE_EXCEEDED: the client gave up at the deadline, or the service reported it.</summary>
    public long DeadlineExceeded => Errors.GetValueOrDefault(nameof(Grpc.Core.StatusCode.DeadlineExceeded));

    /// <summary>The run by phase of its schedule (a storm run: before, storm, after); null for a constant rate.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<PhaseResult>? Phases { get; init; }

    /// <summary>Health probes sent beside the load; null when not probing.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<ProbeSummary>? Probes { get; init; }

    /// <summary>Outcomes by second of due time (from the request timeline).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<SecondStats>? PerSecond { get; init; }

    /// <summary>1 when the timeline holds every request; k when it holds every k-th (very long or fast runs).</summary>
    public long TimelineStride { get; init; } = 1;

    /// <summary>Requests per kind in the mix.</summary>
    public required IReadOnlyDictionary<string, long> Mix { get; init; }

    /// <summary>Share of failed requests.</summary>
    public double ErrorRatio => Sent == 0 ? 0 : Errors.Values.Sum() / (double)Sent;
}
