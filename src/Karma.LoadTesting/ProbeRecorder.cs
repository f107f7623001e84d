using HdrHistogram;

namespace Karma.LoadTesting;

/// <summary>One health probe on the run's timeline.</summary>
/// <param name="Kind">grpc or http.</param>
/// <param name="Seconds">When it was sent, after the warm-up.</param>
/// <param name="Ms">How long the answer took (the timeout for a probe that got none).</param>
/// <param name="Ok">Whether it answered healthy in time.</param>
public readonly record struct ProbePoint(string Kind, double Seconds, double Ms, bool Ok);

/// <summary>What one kind of health probe measured.</summary>
public sealed record ProbeSummary
{
    /// <summary>grpc (<c>grpc.health.v1.Health/Check</c>) or http (GET of the liveness URL).</summary>
    public required string Kind { get; init; }

    /// <summary>Where the probes went.</summary>
    public required string Target { get; init; }

    /// <summary>Probes sent after the warm-up.</summary>
    public long Sent { get; init; }

    /// <summary>Probes that did not answer healthy in time, by reason (a gRPC status, NotServing, Http503, Timeout, …).</summary>
    public required IReadOnlyDictionary<string, long> Failures { get; init; }

    /// <summary>Latency of every probe, failures included (a timed-out probe counts as the timeout).</summary>
    public required Percentiles Latency { get; init; }

    /// <summary>The same by phase of the run (empty for a constant-rate run).</summary>
    public required IReadOnlyDictionary<string, ProbePhaseSummary> ByPhase { get; init; }
}

/// <summary>Probes of one kind during one phase.</summary>
/// <param name="Sent">Probes sent.</param>
/// <param name="Failures">Probes that did not answer healthy in time, by reason.</param>
/// <param name="Latency">Their latency.</param>
public sealed record ProbePhaseSummary(long Sent, IReadOnlyDictionary<string, long> Failures, Percentiles Latency)
{
    /// <summary>Probes that did not answer healthy in time.</summary>
    public long Failed => Failures.Values.Sum();
}

/// <summary>Latency histograms and failures of one kind of probe, overall and by phase. Thread-safe.</summary>
public sealed class ProbeRecorder
{
    private const long MaxMicroseconds = 10L * 60 * 1_000_000;
    private readonly object _gate = new();
    private readonly IReadOnlyList<LoadPhase> _phases;
    private readonly LongHistogram _all = new(MaxMicroseconds, 3);
    private readonly LongHistogram[] _byPhase;
    private readonly Dictionary<string, long>[] _failuresByPhase;
    private readonly Dictionary<string, long> _failures = new(StringComparer.Ordinal);
    private readonly List<ProbePoint> _points = [];

    /// <summary>A recorder for probes of <paramref name="kind"/> sent to <paramref name="target"/>.</summary>
    public ProbeRecorder(string kind, string target, IReadOnlyList<LoadPhase> phases)
    {
        Kind = kind;
        Target = target;
        _phases = phases ?? throw new ArgumentNullException(nameof(phases));
        _byPhase = phases.Select(_ => new LongHistogram(MaxMicroseconds, 3)).ToArray();
        _failuresByPhase = phases.Select(_ => new Dictionary<string, long>(StringComparer.Ordinal)).ToArray();
    }

    /// <summary>grpc or http.</summary>
    public string Kind { get; }

    /// <summary>Where the probes go.</summary>
    public string Target { get; }

    /// <summary>Latency of the last probe recorded (ms), NaN before any.</summary>
    public double LastMs { get; private set; } = double.NaN;

    /// <summary>Records a probe sent at <paramref name="sentAt"/> (after the warm-up); <paramref name="failure"/> is null when healthy.</summary>
    public void Record(TimeSpan sentAt, TimeSpan latency, string? failure)
    {
        long us = Math.Clamp((long)(latency.TotalMilliseconds * 1000), 1, MaxMicroseconds);
        int phase = LoadPhase.IndexAt(_phases, sentAt);
        lock (_gate)
        {
            _all.RecordValue(us);
            if (phase >= 0)
            {
                _byPhase[phase].RecordValue(us);
            }

            if (failure is not null)
            {
                _failures[failure] = _failures.GetValueOrDefault(failure) + 1;
                if (phase >= 0)
                {
                    _failuresByPhase[phase][failure] = _failuresByPhase[phase].GetValueOrDefault(failure) + 1;
                }
            }

            _points.Add(new ProbePoint(Kind, sentAt.TotalSeconds, latency.TotalMilliseconds, failure is null));
            LastMs = latency.TotalMilliseconds;
        }
    }

    /// <summary>Every probe recorded, in the order they finished.</summary>
    public IReadOnlyList<ProbePoint> Points()
    {
        lock (_gate)
        {
            return _points.ToArray();
        }
    }

    /// <summary>The figures so far.</summary>
    public ProbeSummary Summary()
    {
        lock (_gate)
        {
            return new ProbeSummary
            {
                Kind = Kind,
                Target = Target,
                Sent = _all.TotalCount,
                Failures = new Dictionary<string, long>(_failures, StringComparer.Ordinal),
                Latency = Percentiles.Of(_all),
                ByPhase = _phases.Select((p, i) => (p.Name, Summary: new ProbePhaseSummary(_byPhase[i].TotalCount, new Dictionary<string, long>(_failuresByPhase[i], StringComparer.Ordinal), Percentiles.Of(_byPhase[i]))))
                    .ToDictionary(x => x.Name, x => x.Summary, StringComparer.Ordinal),
            };
        }
    }
}
